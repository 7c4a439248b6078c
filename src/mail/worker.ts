/**
 * The outbox worker: sends the rows leased to it as their transactions commit (outbox.ts),
 * and claims due rows with a lease (retries, and email other processes queued), renders and
 * sends them, and marks each sent (one UPDATE for the rows of a batch that went out), or
 * pending again with exponential backoff, or dead (a permanent refusal, or too many
 * attempts). A row whose lease ran out (its process died mid-send) is claimed again, so a
 * committed email is never lost. Several processes may run workers on PostgreSQL: claims use
 * FOR UPDATE SKIP LOCKED.
 */
import { sql, type Kysely, type UpdateObject } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../deps.js';
import type { OutboxTable, Tables } from '../db/tables.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { linkToken } from '../auth/secrets.js';
import type { TemplateData } from './templates.js';
import type { Letter, Outcome, Sender } from './sender.js';

export interface WorkerOptions {
  pollMs: number;
  leaseMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  batchSize: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  pollMs: 1000,
  leaseMs: 30_000,
  maxAttempts: 8,
  backoffBaseMs: 2000,
  backoffMaxMs: 3600_000,
  batchSize: 20,
};

/** Leased rows waiting for this worker at most, per row of a batch; beyond it, rows wait for a claim. */
const WAITING_PER_BATCH_ROW = 10;

export interface OutboxWorker {
  /**
   * Until when email queued now is leased to this worker, or undefined when enough leased
   * email is waiting for it already (the row is then left for a claim, so a burst never
   * piles up in memory, nor outlives its leases there).
   */
  leaseUntil(now: number): number | undefined;
  /** The rows of a transaction that has committed: sent at once, leased or not. */
  committed(rows: readonly OutboxTable[]): void;
  stop(): Promise<void>;
}

export function backoffDelay(
  attempts: number,
  options: Pick<WorkerOptions, 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  return Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
}

async function claimDue(deps: Deps, options: WorkerOptions): Promise<OutboxTable[]> {
  const now = deps.clock();
  const lock = deps.db.dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const result = await sql<OutboxTable>`
    update outbox
       set status = 'processing', lease_until = ${now + options.leaseMs}, attempts = attempts + 1
     where id in (
       select id from outbox
        where (status = 'pending' and next_attempt_at <= ${now})
           or (status = 'processing' and lease_until < ${now})
        order by next_attempt_at
        limit ${options.batchSize}
        ${lock})
    returning *`.execute(deps.db.kysely);
  return result.rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

interface LinkState {
  tokenId: string;
  accountId: string;
  userName: string;
  userState: string;
  accountName: string;
  expiresAt: number;
  revokedAt: number | null;
  consumedAt: number | null;
}

/**
 * The batch queries take their ids as a fixed number of parameters, the unused ones null
 * (`in` never matches null): each is compiled and prepared once (db/precompiled.ts), where an
 * `in` list as long as each batch made a statement of every length.
 */
const ID_SLOTS = 20;
type IdSlots = Record<`id${number}`, string | null>;
const slotNames = Array.from({ length: ID_SLOTS }, (_, i) => `id${i}` as const);

/** `ids` in groups of ID_SLOTS, each as the parameters of one query. */
function inSlots(ids: readonly string[]): IdSlots[] {
  const groups: IdSlots[] = [];
  for (let start = 0; start < ids.length; start += ID_SLOTS) {
    const group: IdSlots = {};
    slotNames.forEach((name, i) => (group[name] = ids[start + i] ?? null));
    groups.push(group);
  }
  return groups;
}

const slotValues = (values: IdSlots) => slotNames.map((name) => values[name]!);

const readLinkStates = (db: Kysely<Tables>, values: IdSlots) =>
  db
    .selectFrom('user_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .select([
      't.id as tokenId',
      't.account_id as accountId',
      'u.name as userName',
      'u.state as userState',
      'a.name as accountName',
      't.expires_at as expiresAt',
      't.revoked_at as revokedAt',
      't.consumed_at as consumedAt',
    ])
    .where('t.id', 'in', slotValues(values))
    .execute();

/** What the emails of a batch say about their links and readers: one read per twenty emails. */
async function linkStates(db: Kysely<Tables>, tokenIds: string[]): Promise<Map<string, LinkState>> {
  const links = new Map<string, LinkState>();
  for (const group of inSlots(tokenIds)) {
    for (const row of await readLinkStates(db, group)) links.set(row.tokenId, row);
  }
  return links;
}

type OutboxChange = UpdateObject<Tables, 'outbox'>;

/** Changes rows still being sent (`processing`); one already marked otherwise is left as it is. */
function updateHeld(db: Kysely<Tables> | Trx, ids: string[], values: OutboxChange) {
  return db
    .updateTable('outbox')
    .set(values)
    .where('id', 'in', ids)
    .where('status', '=', 'processing')
    .execute();
}

/**
 * The letter for a row, or why it must not be sent: a link that can no longer be used (the
 * user was deleted, the link was replaced, used or expired while the email waited) would
 * only mislead its reader.
 */
function letterFor(
  deps: Deps,
  row: OutboxTable,
  data: TemplateData,
  link: LinkState | undefined,
): Letter | { unsendable: string } {
  if (!link || link.accountId !== row.account_id) {
    return { unsendable: 'the token or user no longer exists' };
  }
  if (link.userState === 'inactive') {
    return { unsendable: 'the user was deleted before the email could be sent' };
  }
  if (link.revokedAt !== null || link.consumedAt !== null) {
    return { unsendable: 'the link was replaced or used before the email could be sent' };
  }
  const expiresAt = Number(link.expiresAt);
  if (expiresAt <= deps.clock()) {
    return { unsendable: 'the link expired before the email could be sent' };
  }
  const path = data.template === 'invitation' ? '/invitations/accept' : '/password/reset';
  const url = `${deps.config.publicUrl}${path}?token=${linkToken(deps.serverSecret, data.tokenId)}`;
  const { userName, accountName } = link;
  return {
    id: row.id,
    from: deps.config.mailFrom,
    to: row.recipient,
    data,
    context: { userName, accountName, expiresAt, link: url },
  };
}

type Prepared = Letter | { unsendable: string } | { error: string };

const failure = (error: unknown) => ({
  error: error instanceof Error ? error.message : String(error),
});

/** The letter (or why not) for each row, in order; a read that fails fails every row. */
async function lettersFor(deps: Deps, rows: OutboxTable[]): Promise<Prepared[]> {
  const data = rows.map((row): TemplateData | { error: string } => {
    try {
      return JSON.parse(row.payload) as TemplateData;
    } catch (error) {
      return failure(error);
    }
  });
  const tokenIds = data.flatMap((d) => ('tokenId' in d ? [d.tokenId] : []));
  let links: Map<string, LinkState>;
  try {
    links = tokenIds.length > 0 ? await linkStates(deps.db.kysely, tokenIds) : new Map();
  } catch (error) {
    return rows.map(() => failure(error));
  }
  return rows.map((row, i) => {
    const d = data[i]!;
    return 'error' in d ? d : letterFor(deps, row, d, links.get(d.tokenId));
  });
}

/**
 * Sends a batch of rows (claimed, or leased at their commit) through the delivery thread.
 * Returns the ids of those that went out: the caller marks them together. Any other outcome
 * (unsendable, failed) is marked here, row by row.
 */
async function deliver(
  deps: Deps,
  sender: Sender,
  options: WorkerOptions,
  log: FastifyBaseLogger,
  rows: OutboxTable[],
): Promise<string[]> {
  const mark = (row: OutboxTable, values: OutboxChange) =>
    updateHeld(deps.db.kysely, [row.id], values);
  const failed = async (row: OutboxTable, error: string, permanent: boolean) => {
    const dead = permanent || row.attempts >= options.maxAttempts;
    const next = deps.clock() + backoffDelay(row.attempts, options);
    await mark(
      row,
      dead
        ? { status: 'dead', lease_until: null, last_error: error }
        : { status: 'pending', lease_until: null, next_attempt_at: next, last_error: error },
    ).catch(() => {});
    log.warn({ outboxId: row.id, attempts: row.attempts, dead, err: error }, 'email not delivered');
  };

  const letters = await lettersFor(deps, rows);
  const toSend: { row: OutboxTable; letter: Letter }[] = [];
  for (const [i, row] of rows.entries()) {
    const letter = letters[i]!;
    if ('unsendable' in letter) {
      await mark(row, { status: 'dead', lease_until: null, last_error: letter.unsendable });
      log.info({ outboxId: row.id, reason: letter.unsendable }, 'email not sent');
    } else if ('error' in letter) {
      await failed(row, letter.error, false);
    } else {
      toSend.push({ row, letter });
    }
  }
  const outcomes = await sender
    .send(toSend.map(({ letter }) => letter))
    .catch((error: Error): Outcome[] =>
      toSend.map(() => ({ sent: false, error: error.message, permanent: false })),
    );
  const sent: string[] = [];
  for (const [i, { row, letter }] of toSend.entries()) {
    const outcome = outcomes[i]!;
    if (!outcome.sent) {
      await failed(row, outcome.error, outcome.permanent);
      continue;
    }
    sent.push(row.id);
    log.info({ outboxId: row.id, template: row.template }, 'email sent');
    if (!deps.config.smtpUrl) {
      // Without SMTP the message is a file; the link in the log lets a developer click through.
      log.info(
        { outboxId: row.id, link: letter.context.link },
        `${row.template} link for ${row.recipient}`,
      );
    }
  }
  return sent;
}

/**
 * Marks the rows of a batch that went out, one statement per twenty, in one transaction and on
 * SQLite in the commit of whatever else is being written (inTransaction): a commit per email
 * cost more than sending it to a file. (A crash before this line sends the batch again once its
 * lease runs out, as a crash between a send and its mark always could.)
 */
async function markSent(deps: Deps, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const sentAt = deps.clock();
  await inTransaction(deps.db, async (trx) => {
    for (const group of inSlots(ids)) await markSentRows(trx, { ...group, sentAt });
  });
}

const markSentRows = (db: Trx, values: IdSlots & { sentAt: number }) =>
  db
    .updateTable('outbox')
    .set({ status: 'sent', sent_at: values.sentAt, lease_until: null, last_error: null })
    .where('id', 'in', slotValues(values))
    .where('status', '=', 'processing')
    .execute();

/** Leased rows not sent when the worker stops go back to the outbox, due at once. */
async function release(deps: Deps, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await updateHeld(deps.db.kysely, ids, {
    status: 'pending',
    lease_until: null,
    attempts: sql`attempts - 1`,
  });
}

export function startOutboxWorker(
  deps: Deps,
  sender: Sender,
  log: FastifyBaseLogger,
  overrides: Partial<WorkerOptions> = {},
): OutboxWorker {
  const options = { ...DEFAULT_WORKER_OPTIONS, ...overrides };
  let stopped = false;
  // The passes under way: a second starts when a full batch waits while the first one's is
  // with the delivery thread, so the thread has the next batch as soon as it is done.
  const running = new Set<Promise<void>>();
  // Rows leased to this worker by committed transactions, oldest first.
  let waiting: OutboxTable[] = [];
  // Whether the outbox may hold due rows no one has claimed: set by each poll, and by a
  // commit that queued a row without a lease.
  let claimable = true;
  let again = false;

  /** The next rows to send: leased ones first (those whose lease ran out are left to a claim). */
  async function nextBatch(): Promise<OutboxTable[]> {
    const now = deps.clock();
    const batch: OutboxTable[] = [];
    while (batch.length < options.batchSize && waiting.length > 0) {
      const row = waiting.shift()!;
      if (row.lease_until! > now) batch.push(row);
      else claimable = true;
    }
    if (batch.length > 0 || !claimable) return batch;
    const claimed = await claimDue(deps, options);
    if (claimed.length === 0) claimable = false;
    return claimed;
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      while (!stopped) {
        const rows = await nextBatch();
        if (rows.length === 0) break;
        await markSent(deps, await deliver(deps, sender, options, log, rows));
      }
    } while (again && !stopped);
  }

  function wake(): void {
    if (stopped) return;
    const busy = running.size >= 2 || (running.size === 1 && waiting.length < options.batchSize);
    if (busy) {
      again = true;
      return;
    }
    const pass: Promise<void> = drain()
      .catch((error: unknown) => log.error({ err: error }, 'outbox worker failed; will retry'))
      .finally(() => {
        running.delete(pass);
        // A wake-up that came while the last pass was finishing must not wait for the poll.
        if (again) wake();
      });
    running.add(pass);
  }

  const timer = setInterval(() => {
    claimable = true;
    wake();
  }, options.pollMs);
  timer.unref();
  wake();

  return {
    leaseUntil(now) {
      if (stopped || waiting.length >= options.batchSize * WAITING_PER_BATCH_ROW) return undefined;
      return now + options.leaseMs;
    },
    committed(rows) {
      for (const row of rows) {
        if (row.status === 'processing') waiting.push(row);
        else claimable = true;
      }
      wake();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all(running);
      const unsent = waiting.map((row) => row.id);
      waiting = [];
      await release(deps, unsent).catch((error: unknown) =>
        log.warn({ err: error }, 'leased email not released; it is sent when its lease runs out'),
      );
      await sender.close();
    },
  };
}
