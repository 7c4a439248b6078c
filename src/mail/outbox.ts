/**
 * The outbox: an email to send is a row written in the same transaction as the change
 * that causes it. The worker (worker.ts) delivers it later, so nothing is lost on a crash.
 */
import type { Kysely } from 'kysely';
import { newId } from '../db/ids.js';
import { precompiled } from '../db/precompiled.js';
import type { OutboxTable, Tables } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';
import type { TemplateData } from './templates.js';

// Written with every create that invites: compiled once (see db/precompiled.ts).
const insertOutboxRow = precompiled<
  Pick<OutboxTable, 'id' | 'account_id' | 'template' | 'recipient' | 'payload' | 'created_at'>,
  never
>(['id', 'account_id', 'template', 'recipient', 'payload', 'created_at'], (trx, row) =>
  trx.insertInto('outbox').values({
    ...row,
    status: 'pending',
    attempts: 0,
    next_attempt_at: row.created_at,
    lease_until: null,
    last_error: null,
    sent_at: null,
  }),
);

export async function enqueueEmail(
  trx: Trx,
  accountId: string,
  recipient: string,
  data: TemplateData,
  now: number,
): Promise<void> {
  await insertOutboxRow.execute(trx, {
    id: newId(now),
    account_id: accountId,
    template: data.template,
    recipient,
    payload: JSON.stringify(data),
    created_at: now,
  });
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
