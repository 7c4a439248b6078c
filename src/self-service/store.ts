/**
 * SQL behind the sign-in pages: who may sign in with an email, link tokens, the one-time
 * consumption of a token, setting a password, and the failed sign-in counters. Nothing else.
 */
import { linkLive, linkNotEnded } from '../auth/token-rules.js';
import type { Kysely } from 'kysely';
import { newId } from '../db/ids.js';
import type { InvitationMode, AccountRole, Tables, TokenPurpose, UserState } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';
import { sha256 } from '../auth/secrets.js';
import { onLiveInvitation } from '../users/store.js';

type Queryable = Kysely<Tables> | Trx;

export interface SignInCandidate {
  user_id: string;
  account_id: string;
  account_name: string;
  name: string;
  email: string;
  role: AccountRole;
  state: UserState;
  password_hash: string | null;
  invite_mode: InvitationMode | null;
  secret_hash: string | null;
  invitation_expires_at: number | null;
}

/** Users who are not deleted with this email, in one account or in every account. */
export function findSignInCandidates(
  db: Queryable,
  emailNormalized: string,
  accountId: string | undefined,
): Promise<SignInCandidate[]> {
  let query = db
    .selectFrom('users as u')
    .innerJoin('accounts as a', 'a.id', 'u.account_id')
    .leftJoin('user_tokens as t', onLiveInvitation)
    .select([
      'u.id as user_id',
      'u.account_id',
      'a.name as account_name',
      'u.name',
      'u.email',
      'u.role',
      'u.state',
      'u.password_hash',
      't.invite_mode',
      't.secret_hash',
      't.expires_at as invitation_expires_at',
    ])
    .where('u.email_normalized', '=', emailNormalized)
    .where('u.state', '!=', 'inactive');
  if (accountId) query = query.where('u.account_id', '=', accountId);
  return query.orderBy('u.created_at').orderBy('u.id').limit(20).execute();
}

export async function findAccountName(
  db: Queryable,
  accountId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('accounts')
    .select('name')
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row?.name;
}

export interface LinkTokenRow {
  id: string;
  account_id: string;
  user_id: string;
  invite_mode: InvitationMode | null;
  expires_at: number;
  consumed_at: number | null;
  revoked_at: number | null;
  account_name: string;
  name: string;
  email: string;
  state: UserState;
  has_password: number;
}

/** The token behind a link, with its user and account, whatever its state. */
export function findLinkToken(
  db: Queryable,
  tokenId: string,
  purpose: TokenPurpose,
): Promise<LinkTokenRow | undefined> {
  return db
    .selectFrom('user_tokens as t')
    .innerJoin('users as u', (join) =>
      join.onRef('u.id', '=', 't.user_id').onRef('u.account_id', '=', 't.account_id'),
    )
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .select([
      't.id',
      't.account_id',
      't.user_id',
      't.invite_mode',
      't.expires_at',
      't.consumed_at',
      't.revoked_at',
      'a.name as account_name',
      'u.name',
      'u.email',
      'u.state',
    ])
    .select((eb) =>
      eb.case().when('u.password_hash', 'is not', null).then(1).else(0).end().as('has_password'),
    )
    .where('t.id', '=', tokenId)
    .where('t.purpose', '=', purpose)
    .executeTakeFirst();
}

/**
 * Marks the live (unused, unrevoked, unexpired) token that `which` names used. The conditions
 * are re-checked by the database at the moment of the write, so of any number of concurrent
 * calls for one token exactly one sees `true`.
 */
async function consumeLive(
  trx: Trx,
  accountId: string,
  which: { id: string } | { userId: string; inviteMode: 'temporary_password' },
  now: number,
): Promise<boolean> {
  let query = trx
    .updateTable('user_tokens')
    .set({ consumed_at: now })
    .where('account_id', '=', accountId)
    .where(linkLive(now));
  query =
    'id' in which
      ? query.where('id', '=', which.id)
      : query
          .where('user_id', '=', which.userId)
          .where('purpose', '=', 'invitation')
          .where('invite_mode', '=', which.inviteMode);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Uses up a link token (see consumeLive). */
export function consumeToken(
  trx: Trx,
  token: { id: string; account_id: string },
  now: number,
): Promise<boolean> {
  return consumeLive(trx, token.account_id, { id: token.id }, now);
}

/** Uses up the user's live temporary-password invitation; false when it is gone or expired. */
export function consumeTemporaryPassword(
  trx: Trx,
  accountId: string,
  userId: string,
  now: number,
): Promise<boolean> {
  return consumeLive(trx, accountId, { userId, inviteMode: 'temporary_password' }, now);
}

/**
 * Sets a user's password. `from` is the state the user must still be in: 'pending' to finish
 * registration (the user becomes active), 'active' to change it. False when the user is no
 * longer in that state (deleted meanwhile, say).
 */
export async function setPassword(
  trx: Trx,
  user: { accountId: string; userId: string; from: 'pending' | 'active' },
  passwordHash: string,
  now: number,
): Promise<boolean> {
  const result = await trx
    .updateTable('users')
    .set({ password_hash: passwordHash, state: 'active', updated_at: now })
    .where('account_id', '=', user.accountId)
    .where('id', '=', user.userId)
    .where('state', '=', user.from)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function findPasswordHash(
  db: Queryable,
  accountId: string,
  userId: string,
): Promise<string | null | undefined> {
  const row = await db
    .selectFrom('users')
    .select('password_hash')
    .where('account_id', '=', accountId)
    .where('id', '=', userId)
    .where('state', '=', 'active')
    .executeTakeFirst();
  return row?.password_hash;
}

/** Active users with a password for this email: the ones a reset email may be sent to. */
export function findResettableUsers(
  db: Queryable,
  emailNormalized: string,
  accountId: string | undefined,
) {
  let query = db
    .selectFrom('users')
    .select(['id', 'account_id', 'email'])
    .where('email_normalized', '=', emailNormalized)
    .where('state', '=', 'active')
    .where('password_hash', 'is not', null);
  if (accountId) query = query.where('account_id', '=', accountId);
  return query.limit(20).execute();
}

export async function lastResetRequestedAt(
  db: Queryable,
  accountId: string,
  userId: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('user_tokens')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('purpose', '=', 'password_reset')
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

export async function revokeLiveResetTokens(
  trx: Trx,
  accountId: string,
  userId: string,
  now: number,
): Promise<void> {
  await trx
    .updateTable('user_tokens')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('purpose', '=', 'password_reset')
    .where(linkNotEnded())
    .execute();
}

// ---------------------------------------------------------------------------------------
// Failed sign-ins

/** The times of the most recent failures on a key, newest first. */
export async function recentFailures(
  db: Queryable,
  key: string,
  since: number,
  limit: number,
): Promise<number[]> {
  const rows = await db
    .selectFrom('sign_in_failures')
    .select('failed_at')
    .where('throttle_key', '=', sha256(key))
    .where('failed_at', '>', since)
    .orderBy('failed_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => Number(row.failed_at));
}

export async function recordFailures(
  db: Queryable,
  keys: readonly string[],
  now: number,
): Promise<void> {
  if (keys.length === 0) return;
  await db
    .insertInto('sign_in_failures')
    .values(keys.map((key) => ({ id: newId(now), throttle_key: sha256(key), failed_at: now })))
    .execute();
}

export async function clearFailures(db: Queryable, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .deleteFrom('sign_in_failures')
    .where(
      'throttle_key',
      'in',
      keys.map((key) => sha256(key)),
    )
    .execute();
}

export async function purgeFailuresBefore(db: Queryable, before: number): Promise<void> {
  await db.deleteFrom('sign_in_failures').where('failed_at', '<=', before).execute();
}

/** The argon2id hash of the user's live temporary password, if it has one that has not expired. */
export async function findTemporaryPasswordHash(
  db: Queryable,
  accountId: string,
  userId: string,
  now: number,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('user_tokens')
    .select('secret_hash')
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('purpose', '=', 'invitation')
    .where('invite_mode', '=', 'temporary_password')
    .where(linkLive(now))
    .executeTakeFirst();
  return row?.secret_hash ?? undefined;
}
