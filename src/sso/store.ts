/** SQL for single sign-on: the accounts' providers and the sign-ins under way. Nothing else. */
import type { Kysely } from 'kysely';
import { linkLive } from '../auth/token-rules.js';
import type { SsoLoginsTable, SsoProvidersTable, Tables } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';

type Queryable = Kysely<Tables> | Trx;

export type SsoProviderRow = SsoProvidersTable;

export function findProvider(
  db: Queryable,
  accountId: string,
): Promise<SsoProvidersTable | undefined> {
  return db
    .selectFrom('sso_providers')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

/** Sets the account's provider, replacing the one it had (keeping when it was first set). */
export async function saveProvider(trx: Trx, provider: SsoProvidersTable): Promise<void> {
  const changes = {
    issuer: provider.issuer,
    client_id: provider.client_id,
    client_secret_sealed: provider.client_secret_sealed,
    client_secret_last4: provider.client_secret_last4,
    enforced: provider.enforced,
    metadata: provider.metadata,
    updated_at: provider.updated_at,
  };
  await trx
    .insertInto('sso_providers')
    .values(provider)
    .onConflict((oc) => oc.column('account_id').doUpdateSet(changes))
    .execute();
}

/** Removes the account's provider and the sign-ins under way with it; false when it had none. */
export async function deleteProvider(trx: Trx, accountId: string): Promise<boolean> {
  await trx.deleteFrom('sso_logins').where('account_id', '=', accountId).execute();
  const result = await trx
    .deleteFrom('sso_providers')
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Whether each of these accounts has a provider, and whether it is enforced. */
export async function providersOf(
  db: Queryable,
  accountIds: readonly string[],
): Promise<Map<string, { enforced: boolean }>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('sso_providers')
    .select(['account_id', 'enforced'])
    .where('account_id', 'in', accountIds)
    .execute();
  return new Map(rows.map((row) => [row.account_id, { enforced: row.enforced === 1 }]));
}

export interface SsoAccount {
  account_id: string;
  account_name: string;
}

/**
 * The accounts with a provider in which this email is a user who is not deleted (in one
 * account when `accountId` is given), oldest membership first.
 */
export function findSsoAccountsOfEmail(
  db: Queryable,
  emailNormalized: string,
  accountId: string | undefined,
): Promise<SsoAccount[]> {
  let query = db
    .selectFrom('users as u')
    .innerJoin('sso_providers as p', 'p.account_id', 'u.account_id')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .select(['u.account_id', 'a.name as account_name'])
    .where('u.email_normalized', '=', emailNormalized)
    .where('u.state', '!=', 'inactive');
  if (accountId) query = query.where('u.account_id', '=', accountId);
  return query.orderBy('u.created_at').orderBy('u.id').limit(20).execute();
}

export async function insertLogin(trx: Trx, login: SsoLoginsTable): Promise<void> {
  await trx.deleteFrom('sso_logins').where('expires_at', '<=', login.created_at).execute();
  await trx.insertInto('sso_logins').values(login).execute();
}

/**
 * Uses up a sign-in under way: of any number of concurrent calls for one state, exactly one
 * gets its account; a used, expired or unknown one gets undefined.
 */
export async function consumeLogin(
  trx: Trx,
  id: string,
  now: number,
): Promise<{ account_id: string } | undefined> {
  const row = await trx
    .selectFrom('sso_logins')
    .select('account_id')
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const result = await trx
    .updateTable('sso_logins')
    .set({ consumed_at: now })
    .where('id', '=', id)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n ? row : undefined;
}

/**
 * Finishes a pending user's invitation (link or temporary password): the live invitation is
 * used up, so its link or password stops working, and the user becomes active. False when
 * there is no live invitation.
 */
export async function finishInvitation(
  trx: Trx,
  accountId: string,
  userId: string,
  now: number,
): Promise<boolean> {
  const used = await trx
    .updateTable('user_tokens')
    .set({ consumed_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('purpose', '=', 'invitation')
    .where(linkLive(now))
    .executeTakeFirst();
  if (used.numUpdatedRows === 0n) return false;
  const activated = await trx
    .updateTable('users')
    .set({ state: 'active', updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', userId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return activated.numUpdatedRows === 1n;
}
