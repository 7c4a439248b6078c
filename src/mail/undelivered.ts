/**
 * Email of an account that is not delivered yet (pending, being sent) or never will be (dead),
 * for its admins; and sending a dead one again.
 */
import type { Actor } from '../auth/permissions.js';
import type { Deps } from '../deps.js';
import { Forbidden, NotFound } from '../errors.js';
import { afterCommit, inTransaction } from '../db/transaction.js';
import { confirmCaller } from '../users/service.js';
import { recordAudit } from '../audit/record.js';
import { listUndelivered, wakeOutbox, type UndeliveredEmail } from './outbox.js';

/** Undelivered email a page lists at most, oldest first. */
export const LISTED_UNDELIVERED = 50;

function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new Forbidden("Only admins may see the account's email");
}

export function listUndeliveredEmail(deps: Deps, actor: Actor): Promise<UndeliveredEmail[]> {
  requireAdmin(actor);
  return listUndelivered(deps.db.kysely, LISTED_UNDELIVERED, actor.accountId);
}

/**
 * A dead email of the caller's account goes back in the queue, due now, with its attempts
 * counted afresh; the worker is woken. Its last error stays until the next attempt replaces it.
 */
export async function retryEmail(deps: Deps, actor: Actor, emailId: string): Promise<void> {
  requireAdmin(actor);
  await inTransaction(deps.db, async (trx) => {
    requireAdmin(await confirmCaller(trx, actor));
    const now = deps.clock();
    const updated = await trx
      .updateTable('outbox')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_until: null })
      .where('account_id', '=', actor.accountId)
      .where('id', '=', emailId)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) {
      throw new NotFound('No undelivered email with this id in your account that can be retried');
    }
    await recordAudit(trx, actor, {
      operation: 'retryEmail',
      at: now,
      target: { type: 'Account', id: actor.accountId },
      changes: { before: { email_id: emailId, status: 'dead' }, after: { status: 'pending' } },
    });
    afterCommit(trx, wakeOutbox);
  });
}

/** Where the newest invitation email to one person stands. */
export interface InvitationDelivery {
  status: 'pending' | 'processing' | 'sent' | 'dead';
  attempts: number;
  lastError: string | null;
  sentAt: number | null;
}

/**
 * The delivery of the newest invitation email to a person of the caller's account (found by
 * the outbox_account_recipient index), or undefined when none was written.
 */
export async function invitationDelivery(
  deps: Deps,
  actor: Actor,
  userId: string,
): Promise<InvitationDelivery | undefined> {
  requireAdmin(actor);
  const row = await deps.db.kysely
    .selectFrom('outbox as o')
    .innerJoin('users as u', (join) =>
      join.onRef('u.account_id', '=', 'o.account_id').onRef('u.email', '=', 'o.recipient'),
    )
    .select(['o.status', 'o.attempts', 'o.last_error', 'o.sent_at'])
    .where('o.account_id', '=', actor.accountId)
    .where('u.id', '=', userId)
    .where('o.template', '=', 'invitation')
    .orderBy('o.created_at', 'desc')
    .orderBy('o.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    status: row.status as InvitationDelivery['status'],
    attempts: Number(row.attempts),
    lastError: row.last_error,
    sentAt: row.sent_at === null ? null : Number(row.sent_at),
  };
}
