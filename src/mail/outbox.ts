/**
 * The outbox: an email to send is a row written in the same transaction as the change
 * that causes it. The worker (worker.ts) delivers it later, so nothing is lost on a crash.
 */
import { newId } from '../db/ids.js';
import type { Trx } from '../db/transaction.js';
import type { TemplateData } from './templates.js';

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
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      last_error: null,
      created_at: now,
      sent_at: null,
    })
    .execute();
}
