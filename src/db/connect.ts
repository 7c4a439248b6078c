import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  SqliteDialect,
} from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { preparingStatements } from './pg-statements.js';
import { keepingStatements } from './sqlite-statements.js';
import type { Tables } from './tables.js';

export type Dialect = 'sqlite' | 'postgres';

/** The dialect of each Kysely instance and transaction this module and inTransaction made. */
const dialects = new WeakMap<Kysely<Tables>, Dialect>();

/** What a Kysely instance (or a transaction of one) talks to. */
export function dialectOf(db: Kysely<Tables>): Dialect {
  const dialect = dialects.get(db);
  if (!dialect) throw new Error('a Kysely instance that connect() did not make');
  return dialect;
}

export function rememberDialect(db: Kysely<Tables>, dialect: Dialect): void {
  dialects.set(db, dialect);
}

export interface Db {
  kysely: Kysely<Tables>;
  dialect: Dialect;
  /** PostgreSQL: the connection pool, for its figures (metrics.ts). */
  pool?: pg.Pool;
  /**
   * This process's background workers, when it runs them (a server does; a one-shot command
   * does not, and what it leaves waits for a server's round): each is woken once a transaction
   * that gives it work commits (afterCommit in transaction.ts).
   */
  outbox?: { wake(): void };
  auditSealer?: { wake(): void };
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * SQLite transactions start with BEGIN IMMEDIATE: every transaction here writes, and one that
 * takes the write lock at its start never finds, at its first write, that another process
 * committed since it began reading (SQLITE_BUSY_SNAPSHOT).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** Every SQLite connection's settings (the benchmark's bare routes use them too). */
export const SQLITE_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'busy_timeout = 5000',
  'foreign_keys = ON',
  // 8 MiB of page cache instead of the default 2 MiB: it holds the interior pages of every
  // index of a million-user database, so a lookup reads at most its leaf from the file.
  'cache_size = -8192',
];

function sqliteDialect(file: string): KyselyDialect {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new Database(file);
  for (const pragma of SQLITE_PRAGMAS) database.pragma(pragma);
  const config = { database: keepingStatements(database) };
  return new (class extends SqliteDialect {
    override createDriver() {
      return new ImmediateSqliteDriver(config);
    }
  })(config);
}

/**
 * Every PostgreSQL connection's settings (the benchmark's bare routes use them too). Roster's
 * queries are short (by index, a page at most) and prepared once per connection
 * (pg-statements.ts), so:
 * - Each statement runs the plan made once for any values (a generic plan). Left to choose,
 *   PostgreSQL planned a page of users again at every run, because the plan for the largest
 *   account looked cheaper: planning took about 1 ms, more than the query (0.3 ms), and gave
 *   a 1,000-user account a plan four times slower. The email filter, whose plan depends on the
 *   substring, asks for a plan of its own (users/store.ts listUsers).
 * - No parallel plans: they start worker processes at every run. A page of a 1,000-user
 *   account, in a database of a million users, took 7.4 ms in two workers instead of 0.3 ms.
 */
export const POSTGRES_OPTIONS =
  '-c plan_cache_mode=force_generic_plan -c max_parallel_workers_per_gather=0';

function postgresPool(url: string, poolSize: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    options: POSTGRES_OPTIONS,
    max: poolSize,
    // Epoch-millisecond columns are bigint; they fit a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? Number
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A client losing its server must not crash the process; the next query on it reports it.
  // The pool listens for that on idle clients only, and a lent-out one (a transaction between
  // two statements) would emit its error to no listener: an uncaught exception.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export function connect(config: DatabaseConfig, options: { poolSize?: number } = {}): Db {
  const pool =
    config.dialect === 'postgres' ? postgresPool(config.url, options.poolSize ?? 10) : undefined;
  const dialect =
    config.dialect === 'sqlite'
      ? sqliteDialect(config.file)
      : new PostgresDialect({ pool: preparingStatements(pool!) });
  const kysely = new Kysely<Tables>({ dialect });
  rememberDialect(kysely, config.dialect);
  return { kysely, dialect: config.dialect, pool, close: () => kysely.destroy() };
}
