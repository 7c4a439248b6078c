/** SQL for custom roles. Nothing else. */
import type { Kysely } from 'kysely';
import type { Position } from '../cursor.js';
import { dialectOf } from '../db/connect.js';
import type { RolesTable, Tables } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';

type Queryable = Kysely<Tables> | Trx;

export async function insertRole(trx: Trx, row: RolesTable): Promise<void> {
  await trx.insertInto('roles').values(row).execute();
}

/** A custom role of the account that is not deleted. */
export function findRole(
  db: Queryable,
  accountId: string,
  roleId: string,
): Promise<RolesTable | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', roleId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/**
 * The same, locked until the transaction ends on PostgreSQL: `share` by a change that gives
 * the role to a user, `update` by one that changes or deletes the role, so that a role is
 * never deleted while a user is being given it. (SQLite runs one write transaction at a time.)
 */
export function lockRole(
  trx: Trx,
  accountId: string,
  roleId: string,
  mode: 'share' | 'update',
): Promise<RolesTable | undefined> {
  const query = trx
    .selectFrom('roles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', roleId)
    .where('deleted_at', 'is', null);
  if (dialectOf(trx) === 'sqlite') return query.executeTakeFirst();
  return (mode === 'share' ? query.forShare() : query.forUpdate()).executeTakeFirst();
}

/** Whether another role of the account (not deleted) has this normalised name. */
export async function nameTaken(
  db: Queryable,
  accountId: string,
  nameNormalized: string,
  exceptId?: string,
): Promise<boolean> {
  let query = db
    .selectFrom('roles')
    .select('id')
    .where('account_id', '=', accountId)
    .where('name_normalized', '=', nameNormalized)
    .where('deleted_at', 'is', null);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

/** One page of the account's custom roles in (created_at, id) order, after a position. */
export function listRoles(
  db: Queryable,
  accountId: string,
  after: Position | undefined,
  limit: number,
): Promise<RolesTable[]> {
  let query = db
    .selectFrom('roles')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('deleted_at', 'is', null);
  if (after) {
    query = query.where((eb) =>
      eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after.createdAt, after.id)),
    );
  }
  return query.orderBy('created_at').orderBy('id').limit(limit).execute();
}

export interface RoleChanges {
  name?: string;
  nameNormalized?: string;
  description?: string | null;
  permissions?: string;
}

export async function updateRole(
  trx: Trx,
  accountId: string,
  roleId: string,
  changes: RoleChanges,
  now: number,
): Promise<void> {
  await trx
    .updateTable('roles')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.nameNormalized !== undefined ? { name_normalized: changes.nameNormalized } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.permissions !== undefined ? { permissions: changes.permissions } : {}),
      updated_at: now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', roleId)
    .execute();
}

export async function markRoleDeleted(
  trx: Trx,
  accountId: string,
  roleId: string,
  now: number,
): Promise<void> {
  await trx
    .updateTable('roles')
    .set({ deleted_at: now, updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', roleId)
    .execute();
}

/** How many users that are not deleted hold the role. */
export async function countHolders(db: Queryable, accountId: string, roleId: string) {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('holders'))
    .where('custom_role_id', '=', roleId)
    .where('account_id', '=', accountId)
    .where('state', '!=', 'inactive')
    .executeTakeFirstOrThrow();
  return Number(row.holders);
}

/** The names of these custom roles of the account (deleted ones too), by id. */
export async function roleNames(
  db: Queryable,
  accountId: string,
  roleIds: readonly string[],
): Promise<Map<string, string>> {
  if (roleIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('roles')
    .select(['id', 'name'])
    .where('account_id', '=', accountId)
    .where('id', 'in', [...new Set(roleIds)])
    .execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}

/** When the account was created: the time its predefined roles show. */
export async function accountCreatedAt(db: Queryable, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select('created_at')
    .where('id', '=', accountId)
    .executeTakeFirst();
  return row ? Number(row.created_at) : 0;
}
