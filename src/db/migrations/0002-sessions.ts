import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// Migrations use `any`: they describe the schema as it was then, not as Tables says it is now.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  // Cookie sessions of the web pages. The id is the SHA-256 of the cookie value.
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('must_change_password', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sessions_account_user')
    .on('sessions')
    .columns(['account_id', 'user_id'])
    .execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

  // Failed sign-ins, one row each, counted over a sliding window per throttle key
  // (SHA-256 of "email:..." / "ip:..." / "device:..."), so every process sees the same counts.
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('throttle_key', 'text', (c) => c.notNull())
    .addColumn('failed_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sign_in_failures_key_time')
    .on('sign_in_failures')
    .columns(['throttle_key', 'failed_at'])
    .execute();
  await db.schema
    .createIndex('sign_in_failures_time')
    .on('sign_in_failures')
    .column('failed_at')
    .execute();
}
