/**
 * Seeds an account's audit log for the benchmark: `count` entries after what the account's
 * chain already holds (its bootstrap), spread over the 25 days before now, each by one of
 * `userIds` in turn (so a user filter finds one entry in userIds.length), chained as Roster
 * chains them (src/audit/rules.ts), so that `roster audit verify` passes on the result. Bulk
 * inserts straight into the table: multi-row INSERTs in one transaction on SQLite, unnest()
 * batches on PostgreSQL; then the chain's head is moved to the last entry.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { newId } from '../src/db/ids.js';
import type { SealedEntry } from '../src/audit/rules.js';
import { encodeId } from '../src/http/global-id.js';
import { entryHash } from '../src/audit/rules.js';

const BATCH = 10_000;
const WINDOW_MS = 25 * 24 * 3600 * 1000;

const COLUMNS = [
  'id',
  'account_id',
  'seq',
  'created_at',
  'user_id',
  'api_key_id',
  'ip',
  'operation_type',
  'operation_name',
  'operation_text',
  'variables',
  'target_type',
  'target_id',
  'changes',
  'prev_hash',
  'hash',
] as const;

/** The entries, in chain order, a batch at a time. */
function* entries(
  accountId: string,
  userIds: string[],
  head: { seq: number; hash: string },
  count: number,
  now: number,
): Generator<SealedEntry[]> {
  let prev = head.hash;
  let batch: SealedEntry[] = [];
  for (let i = 0; i < count; i++) {
    const createdAt = now - WINDOW_MS + Math.floor((i * WINDOW_MS) / count);
    const actor = userIds[i % userIds.length]!;
    const target = userIds[(i * 7 + 3) % userIds.length]!;
    const entry = {
      id: newId(createdAt),
      account_id: accountId,
      created_at: createdAt,
      user_id: actor,
      api_key_id: null,
      ip: '127.0.0.1',
      operation_type: 'mutation' as const,
      operation_name: 'updateUser',
      operation_text: `PATCH /v2/users/${encodeId('User', target)}`,
      variables: JSON.stringify({ name: `Renamed ${i}` }),
      target_type: 'User',
      target_id: target,
      changes: JSON.stringify({
        before: { name: `Renamed ${i - 1}` },
        after: { name: `Renamed ${i}` },
      }),
      prev_hash: prev,
    };
    const hash = entryHash(entry);
    batch.push({ ...entry, seq: head.seq + 1 + i, hash });
    prev = hash;
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export async function seedAuditLog(
  database: DatabaseConfig,
  accountId: string,
  userIds: string[],
  count: number,
): Promise<void> {
  if (count <= 0) return;
  const now = Date.now() - 60_000;
  if (database.dialect === 'sqlite')
    return seedSqlite(database.file, accountId, userIds, count, now);
  return seedPostgres(database.url, accountId, userIds, count, now);
}

function seedSqlite(
  file: string,
  accountId: string,
  userIds: string[],
  count: number,
  now: number,
) {
  const db = new Database(file);
  // A throwaway database: no journal while loading; Roster puts it back in WAL mode on start.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -524288');
  const head = db
    .prepare('select seq, hash from audit_chains where account_id = ?')
    .get(accountId) as { seq: number; hash: string };
  const CHUNK = 500;
  const row = `(${COLUMNS.map(() => '?').join(',')})`;
  const statement = db.prepare(
    `insert into audit_entries (${COLUMNS.join(',')}) values ${Array(CHUNK).fill(row).join(',')}`,
  );
  let last = head;
  db.transaction(() => {
    for (const batch of entries(accountId, userIds, head, count, now)) {
      for (let start = 0; start < batch.length; start += CHUNK) {
        const chunk = batch.slice(start, start + CHUNK);
        const params = chunk.flatMap((e) => COLUMNS.map((c) => e[c]));
        if (chunk.length === CHUNK) statement.run(params);
        else
          db.prepare(
            `insert into audit_entries (${COLUMNS.join(',')}) values ${Array(chunk.length).fill(row).join(',')}`,
          ).run(params);
      }
      const end = batch[batch.length - 1]!;
      last = { seq: end.seq, hash: end.hash };
    }
    db.prepare('update audit_chains set seq = ?, hash = ? where account_id = ?').run(
      last.seq,
      last.hash,
      accountId,
    );
  })();
  db.pragma('journal_mode = WAL');
  db.close();
}

async function seedPostgres(
  url: string,
  accountId: string,
  userIds: string[],
  count: number,
  now: number,
) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ seq: string; hash: string }>(
    'select seq, hash from audit_chains where account_id = $1',
    [accountId],
  );
  const head = { seq: Number(rows[0]!.seq), hash: rows[0]!.hash };
  const types: Record<(typeof COLUMNS)[number], string> = {
    id: 'text',
    account_id: 'text',
    seq: 'bigint',
    created_at: 'bigint',
    user_id: 'text',
    api_key_id: 'text',
    ip: 'text',
    operation_type: 'text',
    operation_name: 'text',
    operation_text: 'text',
    variables: 'text',
    target_type: 'text',
    target_id: 'text',
    changes: 'text',
    prev_hash: 'text',
    hash: 'text',
  };
  const unnest = COLUMNS.map((c, i) => `$${i + 1}::${types[c]}[]`).join(', ');
  let last = head;
  await client.query('begin');
  for (const batch of entries(accountId, userIds, head, count, now)) {
    await client.query(
      `insert into audit_entries (${COLUMNS.join(', ')})
       select * from unnest(${unnest}) as t(${COLUMNS.join(', ')})`,
      COLUMNS.map((c) => batch.map((e) => e[c])),
    );
    const end = batch[batch.length - 1]!;
    last = { seq: end.seq, hash: end.hash };
  }
  await client.query('update audit_chains set seq = $1, hash = $2 where account_id = $3', [
    last.seq,
    last.hash,
    accountId,
  ]);
  await client.query('commit');
  await client.query('analyze audit_entries');
  await client.end();
}
