/**
 * Changes of one account no longer take turns on a row of their own. Two rows every change
 * used to lock until it committed, so on PostgreSQL an account's changes ran one at a time:
 *
 * - The audit chain. An entry is now written unchained (seq, prev_hash and hash null) and the
 *   sealer (src/audit/sealer.ts) chains the account's new entries, in batches, just after they
 *   commit, under the chain head's lock. audit_entries_unsealed finds them.
 * - The counts of users. user_counts has SLOTS rows per account, and each trigger adds its +1 or
 *   -1 to one of them at random, so concurrent writers seldom meet on a row; a count is the sum
 *   of the account's rows. What 0009 counted is carried into slot 0.
 *
 * SQLite cannot drop a NOT NULL or change a primary key in place, so both tables are made anew
 * and their rows copied (SQLite's documented way to change a table's shape); PostgreSQL alters
 * the entries in place. The triggers of 0009 are made again to fill the slots.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** Rows per account in user_counts. Writers pick one at random. */
const SLOTS = 32;

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await unchainedEntries(db, dialect);
  await countSlots(db, dialect);
}

async function unchainedEntries(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table audit_entries
      alter column seq drop not null,
      alter column prev_hash drop not null,
      alter column hash drop not null`.execute(db);
  } else {
    await db.schema
      .createTable('audit_entries_new')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('seq', 'bigint')
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
      .addColumn('prev_hash', 'text')
      .addColumn('hash', 'text')
      .execute();
    await sql`insert into audit_entries_new select
      id, account_id, seq, created_at, user_id, api_key_id, ip, operation_type, operation_name,
      operation_text, variables, target_type, target_id, changes, prev_hash, hash
      from audit_entries`.execute(db);
    await db.schema.dropTable('audit_entries').execute();
    await db.schema.alterTable('audit_entries_new').renameTo('audit_entries').execute();
    // 0008's indexes, dropped with the table.
    await db.schema
      .createIndex('audit_entries_chain')
      .unique()
      .on('audit_entries')
      .columns(['account_id', 'seq'])
      .execute();
    const byTime = ['created_at', 'id'];
    await db.schema
      .createIndex('audit_entries_account_created')
      .on('audit_entries')
      .columns(['account_id', ...byTime])
      .execute();
    await db.schema
      .createIndex('audit_entries_account_user')
      .on('audit_entries')
      .columns(['account_id', 'user_id', ...byTime])
      .execute();
    await db.schema
      .createIndex('audit_entries_account_type')
      .on('audit_entries')
      .columns(['account_id', 'operation_type', ...byTime])
      .execute();
  }
  // The entries waiting for the sealer: a handful at any time.
  await db.schema
    .createIndex('audit_entries_unsealed')
    .on('audit_entries')
    .columns(['account_id', 'id'])
    .where(sql.ref('seq'), 'is', null)
    .execute();
  if (dialect === 'sqlite') {
    // The table's shape for SQLite's planner, as 0008 gave it (dropped with the old table).
    await sql`delete from sqlite_stat1 where tbl = 'audit_entries'`.execute(db);
    await sql`
      insert into sqlite_stat1 (tbl, idx, stat) values
        ('audit_entries', 'audit_entries_chain', '1000000 100000 1'),
        ('audit_entries', 'audit_entries_account_created', '1000000 100000 2 1'),
        ('audit_entries', 'audit_entries_account_user', '1000000 100000 100 2 1'),
        ('audit_entries', 'audit_entries_account_type', '1000000 100000 50000 2 1'),
        ('audit_entries', 'audit_entries_unsealed', '10 10 1')`.execute(db);
    await sql`analyze sqlite_schema`.execute(db);
  }
}

async function countSlots(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') {
    for (const trigger of ['user_counts_insert', 'user_counts_state', 'user_counts_delete']) {
      await sql`drop trigger ${sql.id(trigger)}`.execute(db);
    }
  } else {
    for (const trigger of ['user_counts_insert', 'user_counts_state', 'user_counts_delete']) {
      await sql`drop trigger ${sql.id(trigger)} on users`.execute(db);
    }
    await sql`drop function user_counts_inserted()`.execute(db);
    await sql`drop function user_counts_changed()`.execute(db);
  }
  await db.schema
    .createTable('user_counts_new')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('slot', 'integer', (c) => c.notNull())
    .addColumn('active', 'bigint', (c) => c.notNull())
    .addColumn('pending', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_counts_pk', ['account_id', 'slot'])
    .execute();
  await sql`insert into user_counts_new (account_id, slot, active, pending)
    select account_id, 0, active, pending from user_counts`.execute(db);
  await db.schema.dropTable('user_counts').execute();
  await db.schema.alterTable('user_counts_new').renameTo('user_counts').execute();

  const slot =
    dialect === 'sqlite'
      ? sql.raw(`abs(random()) % ${SLOTS}`)
      : sql.raw(`floor(random() * ${SLOTS})`);
  const add = (row: 'new' | 'old', sign: '' | '-') =>
    sql`insert into user_counts (account_id, slot, active, pending)
      values (${sql.raw(row)}.account_id, ${slot},
        ${sql.raw(sign)}(case when ${sql.raw(row)}.state = 'active' then 1 else 0 end),
        ${sql.raw(sign)}(case when ${sql.raw(row)}.state = 'pending' then 1 else 0 end))
      on conflict (account_id, slot) do update set
        active = user_counts.active + excluded.active,
        pending = user_counts.pending + excluded.pending`;
  if (dialect === 'sqlite') {
    await sql`create trigger user_counts_insert after insert on users begin
      ${add('new', '')}; end`.execute(db);
    await sql`create trigger user_counts_state after update of state on users
      when old.state is not new.state begin
      ${add('old', '-')}; ${add('new', '')}; end`.execute(db);
    await sql`create trigger user_counts_delete after delete on users begin
      ${add('old', '-')}; end`.execute(db);
  } else {
    // A bulk insert adds to one slot per account, as 0009's statement trigger did to its row.
    await sql`create function user_counts_inserted() returns trigger language plpgsql as $$
      begin
        insert into user_counts (account_id, slot, active, pending)
          select account_id, ${slot},
            count(*) filter (where state = 'active'),
            count(*) filter (where state = 'pending')
          from inserted group by account_id
          on conflict (account_id, slot) do update set
            active = user_counts.active + excluded.active,
            pending = user_counts.pending + excluded.pending;
        return null;
      end $$`.execute(db);
    await sql`create trigger user_counts_insert after insert on users
      referencing new table as inserted for each statement
      execute function user_counts_inserted()`.execute(db);
    await sql`create function user_counts_changed() returns trigger language plpgsql as $$
      begin
        if tg_op in ('UPDATE', 'DELETE') then ${add('old', '-')}; end if;
        if tg_op = 'UPDATE' then ${add('new', '')}; end if;
        return null;
      end $$`.execute(db);
    await sql`create trigger user_counts_state after update of state on users
      for each row when (old.state is distinct from new.state)
      execute function user_counts_changed()`.execute(db);
    await sql`create trigger user_counts_delete after delete on users
      for each row execute function user_counts_changed()`.execute(db);
  }
}
