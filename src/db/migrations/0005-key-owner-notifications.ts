import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  // PostgreSQL: every process caches API keys and their owners (auth/key-cache.ts) and forgets
  // them when told that one may have changed. The database tells them, so that no change can
  // forget to: a revocation or expiry of a key, a change of a user's state, role or developer
  // flag, or a deletion of either, notifies the channel at commit. (SQLite needs nothing:
  // PRAGMA data_version tells each connection that another one committed.)
  if (dialect !== 'postgres') return;
  await sql`
    create function roster_key_owners_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('roster_key_owners', '');
      return null;
    end $$`.execute(db);
  await sql`
    create trigger api_keys_key_owners_changed
      after update of revoked_at, expires_at, user_id, key_hash or delete on api_keys
      for each statement execute function roster_key_owners_changed()`.execute(db);
  await sql`
    create trigger users_key_owners_changed
      after update of state, role, is_developer, account_id or delete on users
      for each statement execute function roster_key_owners_changed()`.execute(db);
}
