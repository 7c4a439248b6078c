/**
 * The outbox: an email to send is a row written in the same transaction as the change
 * that causes it. The worker (worker.ts) delivers it later, so nothing is lost on a crash.
 */
import type { Kysely } from 'kysely';
import type { Deps } from '../deps.js';
import { newId } from '../db/ids.js';
import type { OutboxTable, Tables } from '../db/tables.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import type { TemplateData } from './templates.js';

/**
 * The email one attempt of a transaction queued. A server's own worker takes it as soon as
 * the transaction commits: each row is written already leased to that worker, as its claim
 * would have left it, so sending it costs no claim. Should the process die first, the lease
 * runs out and any worker's poll claims the row, as it would a claimed row whose sender died.
 */
export class QueuedEmail {
  readonly rows: OutboxTable[] = [];
  constructor(readonly deps: Deps) {}
}

/**
 * Runs `work` in one transaction (inTransaction) and hands the email it queued to this
 * process's outbox worker once the transaction has committed. Each attempt of the work gets
 * an empty list: a piece that was rolled back and run again queues its email anew.
 */
export async function inTransactionWithEmail<T>(
  deps: Deps,
  work: (trx: Trx, email: QueuedEmail) => Promise<T>,
): Promise<T> {
  let email = new QueuedEmail(deps);
  const value = await inTransaction(deps.db, (trx) => work(trx, (email = new QueuedEmail(deps))));
  if (email.rows.length > 0) deps.outbox?.committed(email.rows);
  return value;
}

export async function enqueueEmail(
  trx: Trx,
  queued: QueuedEmail,
  accountId: string,
  recipient: string,
  data: TemplateData,
  now: number,
): Promise<void> {
  const leaseUntil = queued.deps.outbox?.leaseUntil(now);
  const row: OutboxTable = {
    id: newId(now),
    account_id: accountId,
    template: data.template,
    recipient,
    payload: JSON.stringify(data),
    created_at: now,
    // Leased: claimed, as claimDue would, by the worker that will have it at the commit.
    status: leaseUntil === undefined ? 'pending' : 'processing',
    attempts: leaseUntil === undefined ? 0 : 1,
    next_attempt_at: now,
    lease_until: leaseUntil ?? null,
    last_error: null,
    sent_at: null,
  };
  await trx.insertInto('outbox').values(row).execute();
  queued.rows.push(row);
}

/** An email not (yet) delivered, as operators see it: no payload, so no token ids. */
export interface UndeliveredEmail {
  id: string;
  template: string;
  recipient: string;
  status: 'pending' | 'processing' | 'dead';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
}

/** Pending, processing and dead rows, oldest first. */
export async function listUndelivered(
  db: Kysely<Tables>,
  limit: number,
): Promise<UndeliveredEmail[]> {
  const rows = await db
    .selectFrom('outbox')
    .select([
      'id',
      'template',
      'recipient',
      'status',
      'attempts',
      'next_attempt_at',
      'last_error',
      'created_at',
    ])
    .where('status', 'in', ['pending', 'processing', 'dead'])
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    template: row.template,
    recipient: row.recipient,
    status: row.status as UndeliveredEmail['status'],
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
  }));
}
