/**
 * The audit log: one entry per change, hash-chained per account (see src/audit/record.ts).
 *
 * audit_entries holds the entries. `seq` numbers them within their account in the order they
 * were chained; `prev_hash` is the hash of the entry before (or, for the first, of the chain's
 * start) and `hash` is SHA-256 of prev_hash and the entry's canonical form (audit/rules.ts).
 * `variables` and `changes` are JSON kept as text, never jsonb: the hash covers the text as
 * written, and jsonb would rewrite it.
 *
 * audit_chains holds, per account, the head of the chain (the last seq and its hash), which every
 * writer locks (FOR UPDATE on PostgreSQL; SQLite writes one transaction at a time), so two
 * concurrent changes never chain onto the same entry; and where retention cut the chain (the
 * last removed seq and its hash), so that verification knows where what remains must start.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('audit_chains')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('pruned_seq', 'bigint', (c) => c.notNull())
    .addColumn('pruned_hash', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('api_key_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('operation_type', 'text', (c) => c.notNull())
    .addColumn('operation_name', 'text', (c) => c.notNull())
    .addColumn('operation_text', 'text', (c) => c.notNull())
    .addColumn('variables', 'text')
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('changes', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  // The chain in order (verification, retention), and no two entries at one place in it.
  await db.schema
    .createIndex('audit_entries_chain')
    .unique()
    .on('audit_entries')
    .columns(['account_id', 'seq'])
    .execute();
  // GET /v2/audit-logs, newest first within a time range, walked backwards.
  await db.schema
    .createIndex('audit_entries_account_created')
    .on('audit_entries')
    .columns(['account_id', 'created_at', 'id'])
    .execute();
  // GET /v2/audit-logs?user_id=...
  await db.schema
    .createIndex('audit_entries_account_user')
    .on('audit_entries')
    .columns(['account_id', 'user_id', 'created_at', 'id'])
    .execute();
  // GET /v2/audit-logs?operation_type=... (queries are rare among mutations, and the reverse).
  await db.schema
    .createIndex('audit_entries_account_type')
    .on('audit_entries')
    .columns(['account_id', 'operation_type', 'created_at', 'id'])
    .execute();

  // SQLite has no statistics unless ANALYZE made them, and without them it guesses that
  // account_id alone picks a handful of rows: it then reads a user's entries, or a page after a
  // cursor, through (account_id, created_at, id), 500 ms at a million entries, instead of the
  // index made for the filter. So the shape of the table is told to it, as SQLite documents
  // ("Manual Control Of Query Plans Using SQLITE_STAT Tables"): rows per account, per user of
  // an account, per operation type. A real ANALYZE later replaces these with measured ones.
  // (PostgreSQL measures its own statistics.)
  if (dialect !== 'sqlite') return;
  await sql`analyze audit_entries`.execute(db);
  await sql`delete from sqlite_stat1 where tbl = 'audit_entries'`.execute(db);
  await sql`
    insert into sqlite_stat1 (tbl, idx, stat) values
      ('audit_entries', 'audit_entries_chain', '1000000 100000 1'),
      ('audit_entries', 'audit_entries_account_created', '1000000 100000 2 1'),
      ('audit_entries', 'audit_entries_account_user', '1000000 100000 100 2 1'),
      ('audit_entries', 'audit_entries_account_type', '1000000 100000 50000 2 1')`.execute(db);
  // Read again by this connection; others read them when they open the database.
  await sql`analyze sqlite_schema`.execute(db);
}
