/**
 * `roster users password-link`: a fresh one-time link to set the password of an active user,
 * found by email. The way back in when every admin of an account is locked out; it needs access
 * to the server's database, not an API key.
 */
import type { Deps } from '../deps.js';
import { inTransaction } from '../db/transaction.js';
import { Conflict, NotFound } from '../errors.js';
import { issuePasswordSetup, type PasswordSetupLink } from '../self-service/password-setup.js';
import { normalizeEmail } from '../users/rules.js';
import { isStorableText } from '../text.js';
import { accountIdFrom } from './service.js';

export interface PasswordLink extends PasswordSetupLink {
  accountId: string;
  userId: string;
}

/**
 * A new set-up link for the user with this email (in the given account, given as its global id,
 * or in the only account that has that email); the user's previous unused one stops working.
 */
export async function passwordLinkFor(
  deps: Deps,
  input: { email: string; accountId?: string },
): Promise<PasswordLink> {
  const accountId = input.accountId !== undefined ? accountIdFrom(input.accountId) : undefined;
  const inAccount = accountId !== undefined ? ' in that account' : '';
  if (!isStorableText(input.email)) throw new NotFound(`No user with email ${input.email}`);
  return inTransaction(deps.db, async (trx) => {
    const now = deps.clock();
    let query = trx
      .selectFrom('users')
      .select(['id', 'account_id', 'state'])
      .where('email_normalized', '=', normalizeEmail(input.email));
    if (accountId !== undefined) query = query.where('account_id', '=', accountId);
    const users = await query.execute();
    const current = users.filter((user) => user.state !== 'inactive');
    if (current.length === 0) {
      throw new NotFound(
        users.length > 0
          ? `The user with email ${input.email}${inAccount} was deleted; a deleted user cannot sign in again`
          : `No user with email ${input.email}${inAccount}`,
      );
    }
    if (current.length > 1) {
      throw new Conflict(
        `${current.length} accounts have a user with this email; pass --account-id`,
      );
    }
    const user = current[0]!;
    if (user.state !== 'active') {
      throw new Conflict(
        `${input.email} has not finished registration; send the invitation again instead ` +
          '(POST /v2/users/{user_id}/resend-invitation)',
      );
    }
    const link = await issuePasswordSetup(
      deps,
      trx,
      { accountId: user.account_id, userId: user.id },
      now,
    );
    return { ...link, accountId: user.account_id, userId: user.id };
  });
}
