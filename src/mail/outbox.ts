/**
 * The outbox: an email to send is a row written in the same transaction as the change
 * that causes it. The worker (worker.ts) delivers it later, so nothing is lost on a crash,
 * and nothing is sent for a change that rolled back.
 */
import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import { newId } from '../db/ids.js';
import type { Tables } from '../db/tables.js';
import { afterCommit, type Trx } from '../db/transaction.js';
import type { TemplateData } from './templates.js';

/** Wakes this process's outbox worker, if it runs one (enqueueEmail asks for it after commit). */
export function wakeOutbox(db: Db): void {
  db.outbox?.wake();
}

/**
 * Writes an outbox row, pending and due at once, in the caller's transaction; once that commits,
 * this process's worker is woken, so the email goes out without waiting for a poll.
 */
export async function enqueueEmail(
  trx: Trx,
  accountId: string,
  recipient: string,
  data: TemplateData,
  now: number,
): Promise<void> {
  await trx
    .insertInto('outbox')
    .values({
      id: newId(now),
      account_id: accountId,
      template: data.template,
      recipient,
      payload: JSON.stringify(data),
      created_at: now,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      last_error: null,
      sent_at: null,
    })
    .execute();
  afterCommit(trx, wakeOutbox);
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

/** Pending, processing and dead rows, oldest first: of one account, or of every one. */
export async function listUndelivered(
  db: Kysely<Tables>,
  limit: number,
  accountId?: string,
): Promise<UndeliveredEmail[]> {
  let query = db
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
    .where('status', 'in', ['pending', 'processing', 'dead']);
  if (accountId !== undefined) query = query.where('account_id', '=', accountId);
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute();
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
