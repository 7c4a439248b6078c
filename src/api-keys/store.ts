/** SQL for API keys. Nothing else. */
import { keyExpired, keyRevoked } from '../auth/token-rules.js';
import type { Kysely } from 'kysely';
import { dialectOf } from '../db/connect.js';
import type { Position } from '../cursor.js';
import type { AccountRole, ApiKeysTable, Tables, UserState } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';

type Queryable = Kysely<Tables> | Trx;

export interface KeyOwner {
  key_id: string;
  account_id: string;
  user_id: string;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  role: AccountRole;
  /** JSON of the permissions of the owner's custom role, when it holds one. */
  custom_permissions: string | null;
  state: UserState;
  is_developer: number;
}

/** The key with this hash and its owner (with its custom role), in one indexed lookup. */
export function findKeyOwner(db: Queryable, keyHash: string): Promise<KeyOwner | undefined> {
  return db
    .selectFrom('api_keys as k')
    .innerJoin('users as u', 'u.id', 'k.user_id')
    .leftJoin('roles as r', (join) =>
      join.onRef('r.id', '=', 'u.custom_role_id').onRef('r.account_id', '=', 'u.account_id'),
    )
    .select([
      'k.id as key_id',
      'k.account_id',
      'k.user_id',
      'k.expires_at',
      'k.revoked_at',
      'k.last_used_at',
      'u.role',
      'r.permissions as custom_permissions',
      'u.state',
      'u.is_developer',
    ])
    .where('k.key_hash', '=', keyHash)
    .executeTakeFirst();
}

export async function touchKey(db: Queryable, keyId: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).execute();
}

export async function insertKey(db: Queryable, key: ApiKeysTable): Promise<void> {
  await db.insertInto('api_keys').values(key).execute();
}

/**
 * A key of the account, locked until the transaction ends on PostgreSQL, so two refreshes of
 * one key take turns and the second sees the first's revocation. (SQLite runs one write
 * transaction at a time already.)
 */
export function findKeyForUpdate(
  trx: Trx,
  accountId: string,
  keyId: string,
): Promise<ApiKeysTable | undefined> {
  const query = trx
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', keyId);
  return (dialectOf(trx) === 'sqlite' ? query : query.forUpdate()).executeTakeFirst();
}

/** Revokes a key at `at` (now, or later for a grace period) unless it is already revoked sooner. */
export async function revokeKey(
  db: Queryable,
  accountId: string,
  keyId: string,
  at: number,
): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('account_id', '=', accountId)
    .where('id', '=', keyId)
    .where(keyRevoked(at, false))
    .execute();
}

/**
 * How many of a user's keys work at `now`: neither revoked nor expired. A refreshed key counts
 * until its grace period ends.
 */
export async function countWorkingKeys(
  db: Queryable,
  accountId: string,
  userId: string,
  now: number,
): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll().as('keys'))
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where(keyRevoked(now, false))
    .where(keyExpired(now, false))
    .executeTakeFirstOrThrow();
  return Number(row.keys);
}

/** Every key of a user stops working now (the user was deleted). */
export async function revokeKeysOfUser(
  db: Queryable,
  accountId: string,
  userId: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where(keyRevoked(now, false))
    .execute();
}

export interface KeyListFilter {
  accountId: string;
  userId: string;
  status: 'active' | 'revoked';
  after?: Position;
  limit: number;
  now: number;
}

export function listKeys(db: Queryable, filter: KeyListFilter): Promise<ApiKeysTable[]> {
  const { now, after } = filter;
  let query = db
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', filter.accountId)
    .where('user_id', '=', filter.userId);
  query =
    filter.status === 'active' ? query.where(keyRevoked(now, false)) : query.where(keyRevoked(now));
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '>', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
      ]),
    );
  }
  return query
    .orderBy('created_at')
    .orderBy('id')
    .limit(filter.limit + 1)
    .execute();
}
