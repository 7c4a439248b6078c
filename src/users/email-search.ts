/**
 * The SQLite index behind `GET /v2/users?email=<substring>` (migration 0003): an FTS5 trigram
 * index of email_normalized, the users not in it yet (pending), and the loop that moves them
 * in, in batches. PostgreSQL needs none of this: its trigram index is kept by the database
 * and used by its planner for `LIKE '%x%'`.
 *
 * SQLite's planner cannot tell a rare substring from a common one, so a listing asks here
 * first: count the index's matches (cheaply, up to a cap); if there are few, read just those
 * users; if not, walk the list in order, where a page of matches comes soon. Either way the
 * listing keeps its LIKE as the exact test, so results do not depend on the path. A
 * substring under three characters has no trigram: LIKE alone answers it.
 */
import { runEvery, type Background } from '../background.js';
import { sql, type Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../deps.js';
import { dialectOf } from '../db/connect.js';
import type { Tables } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';

type Queryable = Kysely<Tables> | Trx;

const TRIGRAM = 3;
/**
 * Up to this many candidates (across all accounts), reading each (about 11 µs) is cheaper
 * than walking the list; past it, matches are at least one address in a thousand in a
 * million-user account, and a page of them is met within some 50,000 rows (0.3 µs each).
 * The two costs meet near 1.2 × √(account size) candidates: about 1,200 for a million.
 */
const CANDIDATES_MAX = 1_000;

/** An FTS5 query for the literal substring: one quoted phrase, quotes doubled. */
function ftsPhrase(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** Whether the SQLite search index should drive a listing filtered by this substring. */
export async function searchIndexServes(db: Queryable, emailContains: string): Promise<boolean> {
  if (dialectOf(db) !== 'sqlite' || [...emailContains].length < TRIGRAM) return false;
  const { rows } = await sql<{ candidates: number }>`
    select
      (select count(*) from (
         select rowid from users_email_search
          where users_email_search match ${ftsPhrase(emailContains)}
          limit ${CANDIDATES_MAX + 1}))
      + (select count(*) from (
         select 1 from users_email_search_pending limit ${CANDIDATES_MAX + 1}))
      as candidates`.execute(db);
  return (rows[0]?.candidates ?? 0) <= CANDIDATES_MAX;
}

/** Ids of the users whose email may contain the substring: the index's matches and the pending. */
export function searchCandidates(emailContains: string) {
  return sql<{ user_id: string }>`(
    select k.user_id
      from users_email_search s
      join users_email_search_keys k on k.search_rowid = s.rowid
     where users_email_search match ${ftsPhrase(emailContains)}
    union all
    select user_id from users_email_search_pending)`;
}

/**
 * Moves up to `batchSize` pending users into the index, in one transaction (one FTS5
 * segment for the batch instead of one per create). Returns how many it moved.
 */
export async function indexPendingEmails(db: Kysely<Tables>, batchSize: number): Promise<number> {
  const waiting = await sql`select 1 from users_email_search_pending limit 1`.execute(db);
  if (waiting.rows.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    const batch = await sql<{ upto: number | null; count: number }>`
      select max(rowid) as upto, count(*) as count from (
        select rowid from users_email_search_pending order by rowid limit ${batchSize})`.execute(
      trx,
    );
    const { upto, count } = batch.rows[0] ?? { upto: null, count: 0 };
    if (upto === null) return 0;
    const keys = await sql<{ last: number }>`
      select coalesce(max(search_rowid), 0) as last from users_email_search_keys`.execute(trx);
    const before = keys.rows[0]?.last ?? 0;
    await sql`
      insert or ignore into users_email_search_keys (user_id)
        select user_id from users_email_search_pending where rowid <= ${upto} order by rowid`.execute(
      trx,
    );
    await sql`
      insert into users_email_search (rowid, email_normalized)
        select k.search_rowid, u.email_normalized
          from users_email_search_keys k
          join users u on u.id = k.user_id
         where k.search_rowid > ${before}`.execute(trx);
    await sql`delete from users_email_search_pending where rowid <= ${upto}`.execute(trx);
    return count;
  });
}

export interface IndexerOptions {
  intervalMs: number;
  batchSize: number;
}

/**
 * Keeps the SQLite index caught up: at start (users added while the server was down, or by
 * an import) and then every `intervalMs`. Searches stay exact meanwhile: they also read the
 * pending users. A no-op on PostgreSQL.
 */
export function startEmailSearchIndexer(
  deps: Deps,
  log: FastifyBaseLogger,
  { intervalMs = 500, batchSize = 2000 }: Partial<IndexerOptions> = {},
): Background {
  if (deps.db.dialect !== 'sqlite') return { wake: () => {}, stop: async () => {} };
  return runEvery(intervalMs, async (stopped) => {
    try {
      while (!stopped() && (await indexPendingEmails(deps.db.kysely, batchSize)) === batchSize) {
        // A long backlog goes in batches, with requests served between them.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      log.error({ err: error }, 'email search indexing failed');
    }
  });
}
