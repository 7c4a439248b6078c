/**
 * The outbox worker, one per server process. It claims due rows with a lease (FOR UPDATE SKIP
 * LOCKED on PostgreSQL, so several processes can run workers), renders and sends them, and
 * marks each sent, pending again with exponential backoff, or dead (a permanent refusal, too
 * many attempts, or a link that died while the email waited). It runs every `pollMs`, and as
 * soon as a transaction that queued email commits (wake). A row whose lease ran out (its
 * process died mid-send) is claimed again, so a committed email is never lost.
 */
import { linkEnded } from '../auth/token-rules.js';
import { sql, type UpdateObject } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../deps.js';
import type { OutboxTable, Tables } from '../db/tables.js';
import { linkToken } from '../auth/secrets.js';
import { render, type TemplateData } from './templates.js';
import { isPermanent, type LocalDelivery, type Transport } from './transport.js';

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

export interface OutboxWorker {
  /** Sends what is due now, without waiting for the next poll. */
  wake(): void;
  /** Finishes the batch being sent, hands back rows claimed but not sent, and stops. */
  stop(): Promise<void>;
}

export function backoffDelay(
  attempts: number,
  options: Pick<WorkerOptions, 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  return Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
}

/** Leases up to a batch of due rows: pending ones whose time has come, and expired leases. */
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
  expires_at: number;
  revoked_at: number | null;
  consumed_at: number | null;
}

/** The links of a batch's emails, by token id, with whom they are for: one query. */
async function linkStates(deps: Deps, tokenIds: string[]): Promise<Map<string, LinkState>> {
  if (tokenIds.length === 0) return new Map();
  const rows = await deps.db.kysely
    .selectFrom('user_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .select([
      't.id as tokenId',
      't.account_id as accountId',
      'u.name as userName',
      'u.state as userState',
      'a.name as accountName',
      't.expires_at',
      't.revoked_at',
      't.consumed_at',
    ])
    .where('t.id', 'in', tokenIds)
    .execute();
  return new Map(rows.map((row) => [row.tokenId, row]));
}

/**
 * Why an email must not be sent, if it must not: a link that can no longer be used (the user
 * was deleted, the link was replaced, used or expired while the email waited) would only
 * mislead its reader.
 */
function unsendable(deps: Deps, row: OutboxTable, link: LinkState | undefined): string | undefined {
  if (!link || link.accountId !== row.account_id) return 'the token or user no longer exists';
  if (link.userState === 'inactive') return 'the user was deleted before the email could be sent';
  switch (linkEnded(link, deps.clock())) {
    case 'used':
    case 'replaced':
      return 'the link was replaced or used before the email could be sent';
    case 'expired':
      return 'the link expired before the email could be sent';
    default:
      return undefined;
  }
}

function payloadOf(row: OutboxTable): TemplateData | Error {
  try {
    return JSON.parse(row.payload) as TemplateData;
  } catch (error) {
    return error as Error;
  }
}

export function startOutboxWorker(
  deps: Deps,
  transport: Transport,
  log: FastifyBaseLogger,
  overrides: Partial<WorkerOptions> = {},
): OutboxWorker {
  const options = { ...DEFAULT_WORKER_OPTIONS, ...overrides };
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  /** Changes rows this worker holds; one already marked otherwise is left as it is. */
  const mark = (ids: string[], values: UpdateObject<Tables, 'outbox'>) =>
    deps.db.kysely
      .updateTable('outbox')
      .set(values)
      .where('id', 'in', ids)
      .where('status', '=', 'processing')
      .execute();

  /** Pending again after a backoff, or dead after a permanent refusal or the last attempt. */
  async function failed(row: OutboxTable, error: unknown): Promise<void> {
    const dead = isPermanent(error) || row.attempts >= options.maxAttempts;
    const err = error instanceof Error ? error.message : String(error);
    const next = deps.clock() + backoffDelay(row.attempts, options);
    // Should the mark fail too, the row is claimed again when its lease runs out.
    await mark(
      [row.id],
      dead
        ? { status: 'dead', lease_until: null, last_error: err }
        : { status: 'pending', lease_until: null, next_attempt_at: next, last_error: err },
    ).catch(() => {});
    deps.metrics?.emailDelivery(dead ? 'dead' : 'retry');
    log.warn({ outboxId: row.id, attempts: row.attempts, dead, err }, 'email not delivered');
  }

  /** Renders and sends one row; true when it went out (those are marked sent together). */
  async function send(
    row: OutboxTable,
    data: TemplateData | Error,
    links: Map<string, LinkState>,
  ): Promise<boolean> {
    let delivery: LocalDelivery | void;
    try {
      if (data instanceof Error) throw data;
      const state = links.get(data.tokenId);
      const reason = unsendable(deps, row, state);
      if (reason) {
        await mark([row.id], { status: 'dead', lease_until: null, last_error: reason });
        deps.metrics?.emailDelivery('dead');
        log.info({ outboxId: row.id, reason }, 'email not sent');
        return false;
      }
      const { userName, accountName, expires_at: expiresAt } = state!;
      const route = data.template === 'invitation' ? '/invitations/accept' : '/password/reset';
      const link = `${deps.config.publicUrl}${route}?token=${linkToken(deps.serverSecret, data.tokenId)}`;
      const context = { userName, accountName, expiresAt: Number(expiresAt), link };
      const email = render(data, context);
      const to = row.recipient;
      delivery = await transport.send({ id: row.id, from: deps.config.mailFrom, to, ...email });
    } catch (error) {
      await failed(row, error);
      return false;
    }
    deps.metrics?.emailDelivery('sent');
    if (delivery) {
      // Without SMTP the message is in a file of its own: the log says which, and for whom, but
      // never holds the link (a log is read by more people than the mail directory).
      const { file } = delivery;
      log.info(
        { outboxId: row.id, template: row.template, file, recipient: row.recipient },
        `${row.template} email for ${row.recipient} written to ${file}`,
      );
    } else {
      log.info({ outboxId: row.id, template: row.template }, 'email sent');
    }
    return true;
  }

  /** Sends a claimed batch, all at once, and marks what went out in one statement. */
  async function deliver(rows: OutboxTable[]): Promise<void> {
    const payloads = rows.map(payloadOf);
    let links: Map<string, LinkState>;
    try {
      links = await linkStates(
        deps,
        payloads.flatMap((data) => (data instanceof Error ? [] : [data.tokenId])),
      );
    } catch (error) {
      await Promise.all(rows.map((row) => failed(row, error)));
      return;
    }
    if (stopped) {
      // Claimed but not sent: back to the outbox, due at once, the attempt not counted.
      const ids = rows.map((row) => row.id);
      await mark(ids, { status: 'pending', lease_until: null, attempts: sql`attempts - 1` }).catch(
        (error: unknown) =>
          log.warn(
            { err: error },
            'claimed email not handed back; it is sent when its lease runs out',
          ),
      );
      return;
    }
    const outcomes = await Promise.all(rows.map((row, i) => send(row, payloads[i]!, links)));
    const sent = rows.filter((_, i) => outcomes[i]).map((row) => row.id);
    if (sent.length === 0) return;
    // A crash before this mark sends these again once their lease runs out.
    await mark(sent, {
      status: 'sent',
      sent_at: deps.clock(),
      lease_until: null,
      last_error: null,
    });
  }

  /** Claims a batch, sends and marks it, and again while batches come back full. */
  async function drain(): Promise<void> {
    for (;;) {
      const rows = await claimDue(deps, options);
      if (rows.length > 0) await deliver(rows);
      if (rows.length < options.batchSize || stopped) return;
    }
  }

  function wake(): void {
    if (stopped) return;
    if (running) {
      // Email committed while a batch is out: claim again once it is done.
      again = true;
      return;
    }
    again = false;
    running = drain()
      .catch((error: unknown) => log.error({ err: error }, 'outbox worker failed; will retry'))
      .finally(() => {
        running = undefined;
        if (again) wake();
      });
  }

  const timer = setInterval(wake, options.pollMs);
  timer.unref();
  wake();

  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
