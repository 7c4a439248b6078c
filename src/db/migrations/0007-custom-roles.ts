/**
 * Custom roles (`/v2/roles`): a role of an account with a set of Arize permissions, which users
 * may hold instead of a predefined role (`users.role` is then `custom`, and
 * `users.custom_role_id` names the role). The predefined roles are not rows: they are the same
 * in every account (roles/rules.ts).
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('roles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_normalized', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  // A name is taken once per account among the roles not deleted: the database decides races.
  await db.schema
    .createIndex('roles_account_name')
    .unique()
    .on('roles')
    .columns(['account_id', 'name_normalized'])
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  // GET /v2/roles: the account's roles in (created_at, id) order, keyset-paginated.
  await db.schema
    .createIndex('roles_account_created')
    .on('roles')
    .columns(['account_id', 'created_at', 'id'])
    .execute();

  await db.schema
    .alterTable('users')
    .addColumn('custom_role_id', 'text', (c) => c.references('roles.id'))
    .execute();
  // DELETE /v2/roles/{id} counts the role's holders.
  await db.schema
    .createIndex('users_custom_role')
    .on('users')
    .columns(['custom_role_id'])
    .where(sql.ref('custom_role_id'), 'is not', null)
    .execute();

  // PostgreSQL: the key cache (auth/key-cache.ts) holds each key's owner with the permissions
  // of its custom role, so a change of a user's custom role, or of a role's permissions, or a
  // role's deletion, notifies the processes as migration 0005's changes do. (SQLite needs
  // nothing: PRAGMA data_version moves at any commit.)
  if (dialect !== 'postgres') return;
  await sql`drop trigger users_key_owners_changed on users`.execute(db);
  await sql`
    create trigger users_key_owners_changed
      after update of state, role, custom_role_id, is_developer, account_id or delete on users
      for each statement execute function roster_key_owners_changed()`.execute(db);
  await sql`
    create trigger roles_key_owners_changed
      after update of permissions, deleted_at, account_id or delete on roles
      for each statement execute function roster_key_owners_changed()`.execute(db);
}
