/**
 * An index that serves `GET /v2/users?email=<substring>` without reading every user.
 *
 * PostgreSQL: a pg_trgm GIN index on email_normalized; `LIKE '%x%'` uses it as it is, and a
 * larger statistics sample on the column lets the planner tell rare substrings from common.
 *
 * SQLite: an FTS5 table with the trigram tokenizer. FTS5 rows are keyed by an integer, and
 * the implicit rowid of users is not guaranteed to survive a VACUUM or a dump and reload, so
 * each indexed user gets its own integer key in users_email_search_keys (an INTEGER PRIMARY
 * KEY, which is kept). The FTS table is contentless: it holds only the trigram index.
 * Adding a user to the index in its own transaction wrote three times the pages of the user
 * itself, so a trigger only notes the new user in users_email_search_pending, and the
 * server moves pending users into the index in batches (users/email-search.ts); a search
 * reads the index and the (short) pending list. Matches are candidates: the query keeps its
 * LIKE, so results are exactly what they were.
 */
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    await sql`create extension if not exists pg_trgm`.execute(db);
    // The default sample is too small to see how often a substring occurs (its estimate for
    // '%smith%' is off a hundredfold), and the planner then sorts thousands of matches where
    // walking the list in order would meet a page of them at once.
    await sql`alter table users alter column email_normalized set statistics 1000`.execute(db);
    await sql`create index users_email_trgm on users using gin (email_normalized gin_trgm_ops)`.execute(
      db,
    );
    return;
  }

  await sql`
    create table users_email_search_keys (
      search_rowid integer primary key,
      user_id text not null unique
    )`.execute(db);
  await sql`
    create virtual table users_email_search using fts5(
      email_normalized, tokenize = 'trigram', content = '', contentless_delete = 1
    )`.execute(db);
  // Users whose address is not in the index yet. A user is here or in the keys, never both.
  await sql`create table users_email_search_pending (user_id text not null)`.execute(db);

  await sql`
    create trigger users_email_search_insert after insert on users begin
      insert into users_email_search_pending (user_id) values (new.id);
    end`.execute(db);
  await sql`
    create trigger users_email_search_update after update of id, email_normalized on users begin
      delete from users_email_search
       where rowid = (select search_rowid from users_email_search_keys where user_id = old.id);
      delete from users_email_search_keys where user_id = old.id;
      delete from users_email_search_pending where user_id = old.id;
      insert into users_email_search_pending (user_id) values (new.id);
    end`.execute(db);
  await sql`
    create trigger users_email_search_delete after delete on users begin
      delete from users_email_search
       where rowid = (select search_rowid from users_email_search_keys where user_id = old.id);
      delete from users_email_search_keys where user_id = old.id;
      delete from users_email_search_pending where user_id = old.id;
    end`.execute(db);

  // Users that existed before this migration wait for the server to index them.
  await sql`insert into users_email_search_pending (user_id) select id from users order by rowid`.execute(
    db,
  );
}
