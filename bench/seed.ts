/**
 * Seeds a fresh database for the benchmark: Roster's own migrations, a check that the email
 * filter's index answers exactly what LIKE does (search-check.ts), one account with its
 * admin and API key (bootstrapAccount, as `roster bootstrap` does), then the account's users
 * by bulk inserts straight into the tables (multi-row INSERTs in large transactions on
 * SQLite, unnest() batches on PostgreSQL), with an invitation for the pending ones.
 *
 * A second account with 1,000 users (or `small users`) is seeded the same way, for the
 * comparison with Better Auth on an account of that size.
 *
 * With `audit entries` > 0, the large account's audit log gets that many entries too
 * (seed-audit.ts), by the 1,000 sample users in turn.
 *
 * Usage: node --import tsx bench/seed.ts <database url> <users> <data dir> [<small users>]
 *   [<audit entries>]
 * Prints one JSON line (SeedResult) on stdout.
 */
import Database from 'better-sqlite3';
import { startKeyCache } from '../src/auth/key-cache.js';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/server.js';
import { bootstrapAccount } from '../src/accounts/service.js';
import { sealAuditLog } from '../src/audit/sealer.js';
import { inTransaction } from '../src/db/transaction.js';
import { startSession } from '../src/sessions/service.js';
import { newId } from '../src/db/ids.js';
import type { Deps } from '../src/deps.js';
import { normalizeEmail } from '../src/users/rules.js';
import { indexPendingEmails } from '../src/users/email-search.js';
import { seedUser, SPACING_MS } from './dataset.js';
import { checkEmailSearch } from './search-check.js';
import { seedAuditLog } from './seed-audit.js';

export interface SeedResult {
  accountId: string;
  apiKey: string;
  users: number;
  seconds: number;
  /** Internal ids of users spread over the whole list (for GET and PATCH by id). */
  sampleIds: string[];
  /** Row numbers of those users, for substrings that find them. */
  sampleRows: number[];
  /** The keyset position just before row `deepRow`: where a deep page starts. */
  deep: { row: number; createdAt: number; id: string };
  /**
   * A second account, of `users` users (1,000 by default), for the comparison with Better
   * Auth on as many users: its API key and the internal ids of all its users, shuffled.
   */
  small: { accountId: string; apiKey: string; users: number; sampleIds: string[] };
  /** The large account's audit entries (beyond its bootstrap's), by sampleIds in turn. */
  auditEntries: number;
  /** A signed-in session of the large account's admin (its cookie value), for the console. */
  adminSession: string;
}

const SAMPLES = 1000;
const BATCH = 10_000;
const WEEK_MS = 7 * 24 * 3600 * 1000;

interface Row {
  id: string;
  email: string;
  emailNormalized: string;
  name: string;
  role: string;
  isDeveloper: number;
  state: 'active' | 'pending';
  createdAt: number;
  /** For a pending user: the expiry of its invitation (past for an expired one). */
  invitationExpiresAt?: number;
}

function rowOf(i: number, base: number, now: number): Row {
  const user = seedUser(i, base);
  return {
    id: newId(user.createdAt),
    email: user.email,
    emailNormalized: normalizeEmail(user.email),
    name: user.name,
    role: user.role,
    isDeveloper: user.isDeveloper ? 1 : 0,
    state: user.state === 'active' ? 'active' : 'pending',
    createdAt: user.createdAt,
    ...(user.state === 'invited' ? { invitationExpiresAt: now + WEEK_MS } : {}),
    ...(user.state === 'expired' ? { invitationExpiresAt: user.createdAt + WEEK_MS } : {}),
  };
}

type Insert = (rows: Row[], accountId: string) => Promise<void>;

function sqliteInserter(file: string): { insert: Insert; close(): void } {
  const db = new Database(file);
  // A throwaway database: no journal while loading; Roster puts it back in WAL mode on start.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = -524288');
  const userColumns = 11;
  const tokenColumns = 10;
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const values = (rows: number, columns: number) =>
    Array.from({ length: rows }, () => `(${Array(columns).fill('?').join(',')})`).join(',');
  const CHUNK = 500;
  const insertAll = db.transaction((rows: Row[], accountId: string) => {
    for (let start = 0; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK);
      const params: unknown[] = [];
      for (const r of chunk) {
        params.push(r.id, accountId, r.email, r.emailNormalized, r.name, r.role, r.isDeveloper);
        params.push(r.state, null, r.createdAt, r.createdAt);
      }
      prepared(
        `insert into users (id, account_id, email, email_normalized, name, role, is_developer,
           state, password_hash, created_at, updated_at) values ${values(chunk.length, userColumns)}`,
      ).run(params);
      const pending = chunk.filter((r) => r.invitationExpiresAt !== undefined);
      if (pending.length === 0) continue;
      const tokenParams: unknown[] = [];
      for (const r of pending) {
        tokenParams.push(newId(r.createdAt), accountId, r.id, 'invitation', 'email_link');
        tokenParams.push(null, r.invitationExpiresAt, r.createdAt, null, null);
      }
      prepared(
        `insert into user_tokens (id, account_id, user_id, purpose, invite_mode,
           secret_hash, expires_at, created_at, consumed_at, revoked_at)
         values ${values(pending.length, tokenColumns)}`,
      ).run(tokenParams);
    }
  });
  return {
    insert: async (rows, accountId) => insertAll(rows, accountId),
    close() {
      db.pragma('journal_mode = WAL');
      db.close();
    },
  };
}

function postgresInserter(url: string): { insert: Insert; close(): Promise<void> } {
  const client = new pg.Client({ connectionString: url });
  const connected = client.connect();
  return {
    async insert(rows, accountId) {
      await connected;
      await client.query(
        `insert into users (id, account_id, email, email_normalized, name, role, is_developer,
           state, password_hash, created_at, updated_at)
         select id, $1, email, email_normalized, name, role, is_developer, state, null,
                created_at, created_at
           from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
                       $8::text[], $9::bigint[])
             as t(id, email, email_normalized, name, role, is_developer, state, created_at)`,
        [
          accountId,
          rows.map((r) => r.id),
          rows.map((r) => r.email),
          rows.map((r) => r.emailNormalized),
          rows.map((r) => r.name),
          rows.map((r) => r.role),
          rows.map((r) => r.isDeveloper),
          rows.map((r) => r.state),
          rows.map((r) => r.createdAt),
        ],
      );
      const pending = rows.filter((r) => r.invitationExpiresAt !== undefined);
      await client.query(
        `insert into user_tokens (id, account_id, user_id, purpose, invite_mode,
           secret_hash, expires_at, created_at, consumed_at, revoked_at)
         select id, $1, user_id, 'invitation', 'email_link', null, expires_at, created_at,
                null, null
           from unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[])
             as t(id, user_id, expires_at, created_at)`,
        [
          accountId,
          pending.map((r) => newId(r.createdAt)),
          pending.map((r) => r.id),
          pending.map((r) => r.invitationExpiresAt),
          pending.map((r) => r.createdAt),
        ],
      );
    },
    async close() {
      await connected;
      // What autovacuum would do shortly after a bulk load: the planner needs the statistics,
      // and index-only scans the visibility map (autovacuum also runs after many inserts).
      await client.query('vacuum analyze');
      await client.end();
    },
  };
}

/** `count` distinct row numbers spread evenly over [0, users), in a shuffled order. */
function sampleRows(users: number, count: number): number[] {
  const step = users / count;
  const rows = Array.from({ length: Math.min(count, users) }, (_, k) => Math.floor(k * step));
  for (let k = rows.length - 1; k > 0; k--) {
    const j = Math.floor(Math.random() * (k + 1));
    [rows[k], rows[j]] = [rows[j]!, rows[k]!];
  }
  return rows;
}

export async function seed(
  databaseUrl: string,
  users: number,
  dataDir: string,
  smallUsers = 1000,
  auditEntries = 0,
) {
  const started = performance.now();
  const config = loadConfig({ ROSTER_DATABASE_URL: databaseUrl, ROSTER_DATA_DIR: dataDir });
  const db = await openDatabase(config);
  await checkEmailSearch(db);
  const deps: Deps = {
    db,
    config,
    clock: Date.now,
    serverSecret: 'unused-by-bootstrap',
    keys: startKeyCache(db, config.database, { listen: false }),
  };
  const account = await bootstrapAccount(deps, {
    accountName: 'Bench',
    email: 'bench-admin@example.com',
    name: 'Bench Admin',
  });
  const small = await bootstrapAccount(deps, {
    accountName: 'Bench small',
    email: 'bench-small-admin@example.com',
    name: 'Bench Small Admin',
  });
  // The admin signed in to the pages, as a browser would be after /login.
  const adminSession = await inTransaction(db, (trx) =>
    startSession(
      trx,
      { accountId: account.accountId, userId: account.userId, mustChangePassword: false },
      Date.now(),
    ),
  );
  // The accounts' first entries chained, as a running server's sealer would have.
  await sealAuditLog(db);
  await db.close();

  const now = Date.now();
  // The seeded users come before the admin in list order, a year of sign-ups before today.
  const base = now - users * SPACING_MS - 3600_000;
  const samples = sampleRows(users, SAMPLES);
  const sampleIndex = new Map(samples.map((row, k) => [row, k]));
  const sampleIds: string[] = new Array<string>(samples.length);
  const deepRow = Math.floor(users * 0.9);
  let deep = { row: deepRow, createdAt: 0, id: '' };

  const target =
    config.database.dialect === 'sqlite'
      ? sqliteInserter(config.database.file)
      : postgresInserter(config.database.url);
  for (let start = 0; start < users; start += BATCH) {
    const rows: Row[] = [];
    for (let i = start; i < Math.min(users, start + BATCH); i++) {
      const row = rowOf(i, base, now);
      rows.push(row);
      const k = sampleIndex.get(i);
      if (k !== undefined) sampleIds[k] = row.id;
      // The page that starts after row deepRow - 1, as following cursors would reach it.
      if (i === deepRow - 1) deep = { row: deepRow, createdAt: row.createdAt, id: row.id };
    }
    await target.insert(rows, account.accountId);
  }
  const smallRows: Row[] = [];
  const smallBase = now - smallUsers * SPACING_MS - 3600_000;
  for (let i = 0; i < smallUsers; i++) smallRows.push(rowOf(i, smallBase, now));
  await target.insert(smallRows, small.accountId);
  await target.close();
  await seedAuditLog(config.database, account.accountId, sampleIds, auditEntries);

  if (config.database.dialect === 'sqlite') {
    // What the server's indexer would do at start: the imported users into the search index.
    const indexed = await openDatabase(config);
    while ((await indexPendingEmails(indexed.kysely, 100_000)) > 0);
    await indexed.close();
  }

  const result: SeedResult = {
    accountId: account.accountId,
    apiKey: account.apiKey,
    users,
    seconds: (performance.now() - started) / 1000,
    sampleIds,
    sampleRows: samples,
    deep,
    small: {
      accountId: small.accountId,
      apiKey: small.apiKey,
      users: smallUsers,
      sampleIds: sampleRows(smallUsers, smallUsers).map((i) => smallRows[i]!.id),
    },
    auditEntries,
    adminSession,
  };
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [databaseUrl, users, dataDir, smallUsers, auditEntries] = process.argv.slice(2);
  if (!databaseUrl || !users || !dataDir) {
    console.error('usage: seed.ts <database url> <users> <data dir> [<small users>]');
    process.exit(2);
  }
  const result = await seed(
    databaseUrl,
    Number(users),
    dataDir,
    Number(smallUsers ?? 1000),
    Number(auditEntries ?? 0),
  );
  process.stdout.write(JSON.stringify(result) + '\n');
}
