/**
 * Exact counts of an account's users by status, cheap at any size (the console's people page).
 *
 * user_counts holds, per account, how many users are active and how many pending. Triggers on
 * users keep it: an insert adds, a change of state moves one from a count to the other (or out,
 * for a deletion). So a count is one row, however many users the account has. On PostgreSQL
 * the insert trigger is per statement, one update of the row for a bulk insert; the state
 * trigger runs only for a change of state. Its row is locked until the transaction ends, as the
 * account's audit chain head already is for every change, so writers of one account take turns
 * no more than they did.
 *
 * user_tokens_live_invitations: the live invitations (not consumed, not revoked) of an account by
 * expiry, so the invited (not expired yet) are a range of the index. Its condition is the one
 * onLiveInvitation (users/store.ts) and linkNotEnded (auth/token-rules.ts) join on, with the
 * purpose written as a literal so that both planners can match a query's condition to it.
 *
 * outbox_account_recipient: the newest email to one person of an account, whose delivery the
 * console's invitation page shows while it changes (the outbox keeps every email it sent).
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('user_counts')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('active', 'bigint', (c) => c.notNull())
    .addColumn('pending', 'bigint', (c) => c.notNull())
    .execute();
  await sql`insert into user_counts (account_id, active, pending)
    select account_id,
      sum(case when state = 'active' then 1 else 0 end),
      sum(case when state = 'pending' then 1 else 0 end)
    from users group by account_id`.execute(db);

  const add = (row: 'new' | 'old', sign: '' | '-') =>
    sql.raw(`insert into user_counts (account_id, active, pending)
      values (${row}.account_id,
        ${sign}(case when ${row}.state = 'active' then 1 else 0 end),
        ${sign}(case when ${row}.state = 'pending' then 1 else 0 end))
      on conflict (account_id) do update set
        active = user_counts.active + excluded.active,
        pending = user_counts.pending + excluded.pending`);
  if (dialect === 'sqlite') {
    await sql`create trigger user_counts_insert after insert on users begin
      ${add('new', '')}; end`.execute(db);
    await sql`create trigger user_counts_state after update of state on users
      when old.state is not new.state begin
      ${add('old', '-')}; ${add('new', '')}; end`.execute(db);
    await sql`create trigger user_counts_delete after delete on users begin
      ${add('old', '-')}; end`.execute(db);
  } else {
    await sql`create function user_counts_inserted() returns trigger language plpgsql as $$
      begin
        insert into user_counts (account_id, active, pending)
          select account_id,
            count(*) filter (where state = 'active'),
            count(*) filter (where state = 'pending')
          from inserted group by account_id
          on conflict (account_id) do update set
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

  await db.schema
    .createIndex('user_tokens_live_invitations')
    .on('user_tokens')
    .columns(['account_id', 'expires_at'])
    .where(sql.ref('purpose'), '=', sql.lit('invitation'))
    .where(sql.ref('consumed_at'), 'is', null)
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('outbox_account_recipient')
    .on('outbox')
    .columns(['account_id', 'recipient', 'created_at'])
    .execute();
}
