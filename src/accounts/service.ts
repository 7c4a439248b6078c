/** Accounts: the tenant boundary. Created by `roster bootstrap` (and on first start). */
import type { Deps } from '../deps.js';
import { isRowId, newId } from '../db/ids.js';
import { inTransaction } from '../db/transaction.js';
import { decodeId, encodeId } from '../http/global-id.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { checkRoomForKey, issueKey } from '../api-keys/service.js';
import { emailProblem, normalizeEmail, normalizeName } from '../users/rules.js';
import { insertUser } from '../users/store.js';
import { isStorableText } from '../text.js';
import { issuePasswordSetup, type PasswordSetupLink } from '../self-service/password-setup.js';

export interface Bootstrapped {
  accountId: string;
  userId: string;
  apiKey: string;
  /** bootstrapAccount only: the one-time link to set the admin's password. */
  passwordSetup?: PasswordSetupLink;
}

/**
 * A new account with its first admin (active, developer), that admin's API key and a one-time
 * link to set the admin's password (the admin has none: it could not sign in to a page). An email
 * that already administers an account is refused unless `anotherAccount` asks for a second
 * one: a second run with the same email is more often a mistake than a wish.
 */
export async function bootstrapAccount(
  deps: Deps,
  input: { accountName: string; email: string; name: string; anotherAccount?: boolean },
): Promise<Required<Bootstrapped>> {
  const badEmail = emailProblem(input.email);
  if (badEmail) throw new Invalid(`email ${badEmail}`);
  const name = normalizeName(input.name);
  if ('problem' in name) throw new Invalid(`name ${name.problem}`);
  const accountName = normalizeName(input.accountName);
  if ('problem' in accountName) throw new Invalid(`account name ${accountName.problem}`);
  return inTransaction(deps.db, async (trx) => {
    const now = deps.clock();
    if (!input.anotherAccount) {
      const administered = await trx
        .selectFrom('users as u')
        .innerJoin('accounts as a', 'a.id', 'u.account_id')
        .select(['a.id', 'a.name'])
        .where('u.email_normalized', '=', normalizeEmail(input.email))
        .where('u.role', '=', 'admin')
        .where('u.state', '=', 'active')
        .executeTakeFirst();
      if (administered) {
        throw new Conflict(
          `${input.email} already administers the account "${administered.name}" ` +
            `(account_id ${encodeId('Account', administered.id)}); to make another account ` +
            'for it, ask for one explicitly (roster bootstrap --another-account)',
        );
      }
    }
    const accountId = newId(now);
    await trx
      .insertInto('accounts')
      .values({ id: accountId, name: accountName.name, created_at: now })
      .execute();
    const { id: userId } = await insertUser(
      trx,
      {
        accountId,
        email: input.email,
        emailNormalized: normalizeEmail(input.email),
        name: name.name,
        role: 'admin',
        isDeveloper: true,
        state: 'active',
      },
      now,
    );
    const { secret } = await issueKey(
      trx,
      { accountId, userId, createdByUserId: userId, name: 'bootstrap' },
      now,
    );
    const passwordSetup = await issuePasswordSetup(deps, trx, { accountId, userId }, now);
    return { accountId, userId, apiKey: secret, passwordSetup };
  });
}

/**
 * The internal id of an account given as its global id (what `roster bootstrap` prints).
 * In-process callers that already hold the internal id may pass it as it is.
 */
export function accountIdFrom(value: string): string {
  const decoded = decodeId('Account', value);
  if (decoded) return decoded;
  if (isRowId(value)) return value;
  throw new Invalid(
    `"${value}" is not an account id; use the account_id that roster bootstrap printed`,
  );
}

/**
 * Mints a key for an existing active developer, found by email (in the given account, or in
 * the only account that has that email). `accountId` is the account's global id.
 */
export async function mintKeyForUser(
  deps: Deps,
  input: { email: string; accountId?: string; name?: string },
): Promise<Bootstrapped> {
  const accountId = input.accountId !== undefined ? accountIdFrom(input.accountId) : undefined;
  if (!isStorableText(input.email)) throw new NotFound('No user with this email');
  return inTransaction(deps.db, async (trx) => {
    const now = deps.clock();
    let query = trx
      .selectFrom('users')
      .select(['id', 'account_id', 'state', 'is_developer'])
      .where('email_normalized', '=', normalizeEmail(input.email))
      .where('state', '!=', 'inactive');
    if (accountId !== undefined) query = query.where('account_id', '=', accountId);
    const users = await query.execute();
    if (users.length === 0) {
      throw new NotFound(
        `No user with email ${input.email}${accountId !== undefined ? ' in that account' : ''}`,
      );
    }
    if (users.length > 1) {
      throw new Conflict(`${users.length} accounts have a user with this email; pass --account-id`);
    }
    const user = users[0]!;
    if (user.state !== 'active') throw new Conflict('This user has not finished registration');
    if (user.is_developer !== 1)
      throw new Conflict('This user is not a developer; API keys would not work');
    await checkRoomForKey(trx, user.account_id, user.id, now);
    const { secret } = await issueKey(
      trx,
      {
        accountId: user.account_id,
        userId: user.id,
        createdByUserId: user.id,
        name: input.name ?? 'cli',
      },
      now,
    );
    return { accountId: user.account_id, userId: user.id, apiKey: secret };
  });
}

/** Whether any account exists yet (first start creates one). */
export async function hasAccounts(deps: Deps): Promise<boolean> {
  const row = await deps.db.kysely.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Renames an account: the name invitees see in their email and on every page. */
export async function renameAccount(
  deps: Deps,
  input: { accountId: string; name: string },
): Promise<{ accountId: string; name: string }> {
  const accountId = accountIdFrom(input.accountId);
  const name = normalizeName(input.name);
  if ('problem' in name) throw new Invalid(`account name ${name.problem}`);
  const renamed = await inTransaction(deps.db, (trx) =>
    trx
      .updateTable('accounts')
      .set({ name: name.name })
      .where('id', '=', accountId)
      .executeTakeFirst(),
  );
  if (renamed.numUpdatedRows === 0n)
    throw new NotFound(`No account with the id ${input.accountId}`);
  return { accountId, name: name.name };
}
