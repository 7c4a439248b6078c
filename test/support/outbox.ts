/** Waiting for outbox rows to reach a state, instead of sleeping and hoping they did. */
import type { Deps } from '../../src/deps.js';
import type { OutboxTable } from '../../src/db/tables.js';
import { eventually } from './wait.js';

/** The outbox rows of one recipient, oldest first. */
export async function outboxRows(
  deps: Pick<Deps, 'db'>,
  recipient: string,
): Promise<OutboxTable[]> {
  const rows = await deps.db.kysely
    .selectFrom('outbox')
    .selectAll()
    .where('recipient', '=', recipient)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

/** The first of the recipient's rows that `predicate` accepts, once there is one. */
export function outboxRow(
  deps: Pick<Deps, 'db'>,
  recipient: string,
  predicate: (row: OutboxTable) => boolean,
  what: string,
  timeoutMs?: number,
): Promise<OutboxTable> {
  return eventually(
    async () => (await outboxRows(deps, recipient)).find(predicate),
    `${what} (${recipient})`,
    timeoutMs,
  );
}

/**
 * The recipient's rows once each is sent or dead: no worker takes such a row again, so the
 * email that arrived by then is all that will arrive for them.
 */
export function settledRows(
  deps: Pick<Deps, 'db'>,
  recipient: string,
  timeoutMs?: number,
): Promise<OutboxTable[]> {
  return rowsOnceSettled(deps, recipient, true, `every row sent or dead (${recipient})`, timeoutMs);
}

/** The rows once every one is sent or dead (and, with `atLeastOne`, there is one). */
function rowsOnceSettled(
  deps: Pick<Deps, 'db'>,
  recipient: string,
  atLeastOne: boolean,
  what: string,
  timeoutMs?: number,
): Promise<OutboxTable[]> {
  return eventually(
    async () => {
      const rows = await outboxRows(deps, recipient);
      const settled = rows.every((r) => r.status === 'sent' || r.status === 'dead');
      return settled && (rows.length > 0 || !atLeastOne) ? rows : undefined;
    },
    what,
    timeoutMs,
  );
}

/**
 * The recipient's rows once none is pending or processing, or none was ever written. Every email
 * goes through the outbox, written in the transaction of the change that causes it: once a
 * request that committed has answered, the email that arrived by then is all that will arrive
 * for the recipient.
 */
export function noEmailPending(
  deps: Pick<Deps, 'db'>,
  recipient: string,
  timeoutMs?: number,
): Promise<OutboxTable[]> {
  return rowsOnceSettled(deps, recipient, false, `no email pending (${recipient})`, timeoutMs);
}
