/** SQL for users and their tokens (invitations, password resets). Nothing else. */
import { linkNotEnded } from '../auth/token-rules.js';
import { sql, type JoinBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Position } from '../cursor.js';
import { dialectOf, rememberDialect } from '../db/connect.js';
import { newId } from '../db/ids.js';
import type { Trx } from '../db/transaction.js';
import type {
  AccountRole,
  InvitationMode,
  Tables,
  TokenPurpose,
  UsersTable,
} from '../db/tables.js';
import type { UserStatus } from './rules.js';
import { searchCandidates, searchIndexServes } from './email-search.js';

export interface UserRow extends UsersTable {
  /** Expiry of the user's live invitation, if it has one. */
  invitation_expires_at: number | null;
}

type Queryable = Kysely<Tables> | Trx;

/**
 * The join of `t`, the live invitation of the user `u` (there is at most one: see the
 * user_tokens_one_live index). Every query that derives a user's status joins it this way.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function onLiveInvitation<J extends JoinBuilder<any, any>>(join: J): J {
  return join
    .onRef('t.user_id', '=', 'u.id')
    .onRef('t.account_id', '=', 'u.account_id')
    .on('t.purpose', '=', 'invitation')
    .on(linkNotEnded('t')) as J;
}

function withInvitation(db: Queryable) {
  return db
    .selectFrom('users as u')
    .leftJoin('user_tokens as t', onLiveInvitation)
    .selectAll('u')
    .select('t.expires_at as invitation_expires_at');
}

export function findUserByEmail(
  db: Queryable,
  accountId: string,
  emailNormalized: string,
): Promise<UserRow | undefined> {
  return withInvitation(db)
    .where('u.account_id', '=', accountId)
    .where('u.email_normalized', '=', emailNormalized)
    .executeTakeFirst();
}

export function findUserById(
  db: Queryable,
  accountId: string,
  userId: string,
): Promise<UserRow | undefined> {
  return withInvitation(db)
    .where('u.account_id', '=', accountId)
    .where('u.id', '=', userId)
    .executeTakeFirst();
}

export interface NewUser {
  accountId: string;
  email: string;
  emailNormalized: string;
  name: string;
  role: AccountRole;
  /** The custom role, when `role` is `custom`. */
  customRoleId?: string | null;
  isDeveloper: boolean;
  state: 'pending' | 'active';
  passwordHash?: string | null;
}

/** Inserts the user and returns the row as written. */
export async function insertUser(trx: Trx, user: NewUser, now: number): Promise<UsersTable> {
  const row = newUserRow(user, now);
  await trx.insertInto('users').values(row).execute();
  return row;
}

/** insertUser, unless the account already has a user with the address: then undefined. */
export async function insertUserIfNew(
  trx: Trx,
  user: NewUser,
  now: number,
): Promise<UsersTable | undefined> {
  const row = newUserRow(user, now);
  const result = await trx
    .insertInto('users')
    .values(row)
    .onConflict((conflict) => conflict.columns(['account_id', 'email_normalized']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows) === 1 ? row : undefined;
}

function newUserRow(user: NewUser, now: number): UsersTable {
  return {
    id: newId(now),
    account_id: user.accountId,
    email: user.email,
    email_normalized: user.emailNormalized,
    name: user.name,
    role: user.role,
    custom_role_id: user.customRoleId ?? null,
    is_developer: user.isDeveloper ? 1 : 0,
    state: user.state,
    password_hash: user.passwordHash ?? null,
    created_at: now,
    updated_at: now,
  };
}

export interface UserChanges {
  name?: string;
  /** A role and its custom role (null for a predefined role): always both. */
  role?: AccountRole;
  customRoleId?: string | null;
  isDeveloper?: boolean;
  state?: 'active' | 'inactive';
  passwordHash?: string;
}

/** Applies changes to a user that is not inactive; returns whether a row was changed. */
export async function updateUser(
  db: Queryable,
  accountId: string,
  userId: string,
  changes: UserChanges,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.role !== undefined
        ? { role: changes.role, custom_role_id: changes.customRoleId ?? null }
        : {}),
      ...(changes.isDeveloper !== undefined ? { is_developer: changes.isDeveloper ? 1 : 0 } : {}),
      ...(changes.state !== undefined ? { state: changes.state } : {}),
      ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash } : {}),
      updated_at: now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', userId)
    .where('state', '!=', 'inactive')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface NewToken {
  accountId: string;
  userId: string;
  purpose: TokenPurpose;
  inviteMode?: InvitationMode;
  /** argon2id of a temporary password, for temporary-password invitations. */
  secretHash?: string;
  expiresAt: number;
}

export async function insertToken(
  trx: Trx,
  token: NewToken,
  now: number,
  id: string = newId(now),
): Promise<string> {
  await trx
    .insertInto('user_tokens')
    .values({
      id,
      account_id: token.accountId,
      user_id: token.userId,
      purpose: token.purpose,
      invite_mode: token.inviteMode ?? null,
      secret_hash: token.secretHash ?? null,
      expires_at: token.expiresAt,
      created_at: now,
      consumed_at: null,
      revoked_at: null,
    })
    .execute();
  return id;
}

/** Ends the user's live tokens (of one purpose, or all): a newer one or a deletion replaces them. */
export async function revokeLiveTokens(
  db: Queryable,
  accountId: string,
  userId: string,
  purpose: TokenPurpose | undefined,
  now: number,
): Promise<void> {
  let query = db
    .updateTable('user_tokens')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where(linkNotEnded());
  if (purpose) query = query.where('purpose', '=', purpose);
  await query.execute();
}

export interface ListFilter {
  accountId: string;
  emailContains?: string;
  statuses: readonly UserStatus[];
  after?: Position;
  limit: number;
  now: number;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

type ListQuery = SelectQueryBuilder<
  Tables & { u: UsersTable; t: Tables['user_tokens'] },
  'u' | 't',
  UserRow
>;

/**
 * Users (with their invitation) whose email may contain the substring, as the SQLite search
 * index finds them (see email-search.ts). CROSS JOIN makes SQLite start from the candidates
 * rather than from the list index.
 */
function searchMatches(db: Queryable, emailContains: string): ListQuery {
  return db
    .selectFrom(searchCandidates(emailContains).as('m'))
    .crossJoin('users as u')
    .leftJoin('user_tokens as t', onLiveInvitation)
    .selectAll('u')
    .select('t.expires_at as invitation_expires_at')
    .whereRef('u.id', '=', 'm.user_id') as never;
}

/**
 * One page of users, in (created_at, id) order, starting after a keyset position.
 *
 * On PostgreSQL, statements run with the plan made once per connection for any values
 * (POSTGRES_OPTIONS in db/connect.ts), except this one with an email filter: whether to find
 * the matches by the trigram index or to walk the list depends on how common the substring is,
 * which only a plan made for it can know. It runs in a transaction of its own that asks for
 * one.
 */
export async function listUsers(db: Kysely<Tables>, filter: ListFilter): Promise<UserRow[]> {
  if (filter.emailContains === undefined || dialectOf(db) !== 'postgres') {
    return listPage(db, filter);
  }
  return db.transaction().execute(async (trx) => {
    rememberDialect(trx, 'postgres');
    await sql`set local plan_cache_mode = force_custom_plan`.execute(trx);
    return listPage(trx, filter);
  });
}

async function listPage(db: Queryable, filter: ListFilter): Promise<UserRow[]> {
  const { emailContains, now, after, statuses } = filter;
  const searched = emailContains !== undefined && (await searchIndexServes(db, emailContains));
  let query: ListQuery = (
    searched ? searchMatches(db, emailContains) : (withInvitation(db) as never as ListQuery)
  ).where('u.account_id', '=', filter.accountId);
  query = query.where((eb) =>
    eb.or(
      statuses.map((status) => {
        if (status === 'active') return eb('u.state', '=', 'active');
        if (status === 'invited') {
          return eb.and([eb('u.state', '=', 'pending'), eb('t.expires_at', '>', now)]);
        }
        return eb.and([
          eb('u.state', '=', 'pending'),
          eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '<=', now)]),
        ]);
      }),
    ),
  );
  if (emailContains) {
    const pattern = `%${escapeLike(emailContains)}%`;
    query = query.where(sql<boolean>`u.email_normalized like ${pattern} escape '\\'`);
  }
  if (after) {
    // A row-value comparison, not (created_at > x or (created_at = x and id > y)): both
    // engines seek the (account_id, created_at, id) index with it, where the OR made SQLite
    // read the account's list from the start to the cursor (100 ms at 900,000 rows deep).
    query = query.where((eb) =>
      eb(eb.refTuple('u.created_at', 'u.id'), '>', eb.tuple(after.createdAt, after.id)),
    );
  }
  return query
    .orderBy('u.created_at')
    .orderBy('u.id')
    .limit(filter.limit + 1)
    .execute();
}

/**
 * On PostgreSQL, locks the user's row until the transaction ends, so use cases that read a
 * user and then change it take turns instead of acting on what they read before another
 * committed. (SQLite runs one write transaction at a time already.) Returns whether it waited
 * for a lock, that is whether what was read before may have changed since.
 */
export async function lockUser(trx: Trx, accountId: string, userId: string): Promise<boolean> {
  if (dialectOf(trx) === 'sqlite') return false;
  await trx
    .selectFrom('users')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', '=', userId)
    .forUpdate()
    .execute();
  return true;
}

export interface Standing extends Pick<UsersTable, 'role' | 'state' | 'is_developer'> {
  /** JSON of the custom role's permissions, when the user holds one. */
  custom_permissions: string | null;
}

/**
 * A user's role (with its custom role's permissions), state and developer flag, as the
 * account's rules need them.
 */
export function findStanding(
  db: Queryable,
  accountId: string,
  userId: string,
): Promise<Standing | undefined> {
  return db
    .selectFrom('users as u')
    .leftJoin('roles as r', (join) =>
      join.onRef('r.id', '=', 'u.custom_role_id').onRef('r.account_id', '=', 'u.account_id'),
    )
    .select(['u.role', 'u.state', 'u.is_developer', 'r.permissions as custom_permissions'])
    .where('u.account_id', '=', accountId)
    .where('u.id', '=', userId)
    .executeTakeFirst();
}

/**
 * Ids of the account's active admin developers, at most `limit` of them (two tell whether one
 * other than a given user remains).
 */
export async function activeAdminDeveloperIds(
  db: Queryable,
  accountId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('account_id', '=', accountId)
    .where('role', '=', 'admin')
    .where('state', '=', 'active')
    .where('is_developer', '=', 1)
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}

/** The names of these users of the account, by id (one query; none when no ids are given). */
export async function namesOf(
  db: Queryable,
  accountId: string,
  userIds: readonly string[],
): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('users')
    .select(['id', 'name'])
    .where('account_id', '=', accountId)
    .where('id', 'in', [...new Set(userIds)])
    .execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}

export interface StatusCounts {
  active: number;
  invited: number;
  expired: number;
}

/**
 * Exact counts by status of the account's users that are not deleted. Active and pending users
 * are the sums of the account's rows of user_counts, which triggers on users keep (migrations
 * 0009 and 0010); the invited among
 * the pending are the live invitations not expired yet, a range of the
 * user_tokens_live_invitations index. A live invitation always belongs to a pending user:
 * becoming active uses it up and a deletion revokes it, so no join to users is needed. The
 * expired are the pending rest.
 */
export async function countByStatus(
  db: Queryable,
  accountId: string,
  now: number,
): Promise<StatusCounts> {
  const [counts, invitations] = await Promise.all([
    db
      .selectFrom('user_counts')
      .select((eb) => [
        eb.fn.sum<number>('active').as('active'),
        eb.fn.sum<number>('pending').as('pending'),
      ])
      .where('account_id', '=', accountId)
      .executeTakeFirst(),
    db
      .selectFrom('user_tokens')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('account_id', '=', accountId)
      .where(sql<boolean>`purpose = ${sql.lit('invitation')}`)
      .where(linkNotEnded())
      .where('expires_at', '>', now)
      .executeTakeFirstOrThrow(),
  ]);
  const pending = Number(counts?.pending ?? 0);
  const invited = Math.min(Number(invitations.n), pending);
  return { active: Number(counts?.active ?? 0), invited, expired: pending - invited };
}
