import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
} from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type { Tables } from './tables.js';

export type Dialect = 'sqlite' | 'postgres';

/** Whether a Kysely instance (or a transaction of one) talks to SQLite. */
export function isSqlite(db: Kysely<Tables>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

/**
 * SQLite only: reads that run at once on the connection instead of through Kysely's
 * connection queue (better-sqlite3 is synchronous, so nothing else runs on the connection
 * meanwhile). Each answers undefined when a transaction is open: its reads must wait for it
 * in the queue, and must not see its uncommitted writes.
 */
export interface DirectReads {
  /** Runs a statement that returns rows (a SELECT, or a write with RETURNING: it counts). */
  now(sql: string, parameters: readonly unknown[]): unknown[] | undefined;
  /**
   * The same, but an answer is kept and given again (frozen) while the database has not
   * changed at all since it was read: no write by this connection, no commit by any other
   * connection or process before the request being served began (see requestStarted).
   */
  kept(sql: string, parameters: readonly unknown[]): readonly unknown[] | undefined;
  /**
   * Called as each request starts. Whether another connection has committed is asked once
   * per request (or per turn of the event loop outside requests), not once per kept read:
   * an answer is then never older than the request, which is all a reader can tell.
   */
  requestStarted(): void;
}

const directReads = new WeakMap<Kysely<Tables>, DirectReads>();

/** The direct reads of a SQLite Kysely instance (not of its transactions). */
export function directReadsOf(db: Kysely<Tables>): DirectReads | undefined {
  return directReads.get(db);
}

/** Kept answers per connection; when full, all are dropped. */
const KEPT_ANSWERS = 10_000;

export interface Db {
  kysely: Kysely<Tables>;
  dialect: Dialect;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** Statements kept per SQLite connection; the least recently used one goes first. */
const STATEMENT_CACHE_SIZE = 256;

const DATA_CHANGE = /^\s*(?:insert|update|delete|replace)\b/i;

/**
 * The SQLite connection as Kysely sees it, keeping its prepared statements: Kysely prepares
 * every query it runs, and preparing (parsing and planning) costs more than running a lookup
 * by key. A statement is only ever used by one query at a time (Kysely holds the single
 * connection for the length of each query), and SQLite re-prepares it by itself after a
 * schema change. It also counts the statements that change data, for `DirectReads.kept`.
 */
function keepingStatements(database: Database.Database) {
  const statements = new Map<string, Database.Statement | ReturnType<typeof counted>>();
  let writes = 0;
  const counted = (sql: string, statement: Database.Statement) => {
    // An INSERT, UPDATE or DELETE that changed no row changed nothing (the outbox worker's
    // poll finds nothing due every second); any other statement that writes always counts.
    const countsRows = DATA_CHANGE.test(sql);
    return {
      reader: statement.reader,
      all: (parameters: unknown[]) => {
        const rows = statement.all(parameters);
        if (!countsRows || rows.length > 0) writes++;
        return rows;
      },
      run: (parameters: unknown[]) => {
        const result = statement.run(parameters);
        if (!countsRows || result.changes > 0) writes++;
        return result;
      },
      iterate: (parameters: unknown[]) => (writes++, statement.iterate(parameters)),
    };
  };
  return {
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        const prepared = database.prepare(sql);
        statement = prepared.readonly ? prepared : counted(sql, prepared);
        if (statements.size >= STATEMENT_CACHE_SIZE) {
          statements.delete(statements.keys().next().value!);
        }
      }
      statements.set(sql, statement);
      return statement;
    },
    writes: () => writes,
    close(): void {
      statements.clear();
      database.close();
    },
  };
}

/**
 * SQLite transactions start with BEGIN IMMEDIATE: every transaction here writes, and one
 * that takes the write lock at its start never finds, at its first write, that another
 * process committed since it began reading (SQLITE_BUSY_SNAPSHOT).
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

export function connect(config: DatabaseConfig, options: { poolSize?: number } = {}): Db {
  if (config.dialect === 'sqlite') {
    if (config.file !== ':memory:') fs.mkdirSync(path.dirname(config.file), { recursive: true });
    const database = new Database(config.file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    // Checkpoint every 10,000 WAL pages (40 MiB) instead of every 1,000: with synchronous =
    // NORMAL each checkpoint syncs the WAL and the database file, and a create writes about
    // twenty pages (users, invitation, outbox and their indexes, the search index), so at
    // the default a checkpoint and its two fsyncs came every fifty creates.
    database.pragma('wal_autocheckpoint = 10000');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
    // 8 MiB of page cache instead of the default 2 MiB: it holds the interior pages of every
    // index of a million-user database, so a lookup reads at most its leaf from the file.
    database.pragma('cache_size = -8192');
    const connection = keepingStatements(database);
    const kysely = new Kysely<Tables>({
      dialect: new ImmediateSqliteDialect({ database: connection }),
    });
    // Moves with every write through this connection and every commit by any other.
    const dataVersion = database.prepare('pragma data_version').pluck();
    let observed: number | undefined;
    const forget = () => void (observed = undefined);
    const observe = () => {
      if (observed === undefined) {
        observed = dataVersion.get() as number;
        setImmediate(forget);
      }
      return observed;
    };
    const changeCounter = () => connection.writes() + observe();
    const read = (sql: string, parameters: readonly unknown[]) => {
      if (database.inTransaction) return undefined;
      const statement = connection.prepare(sql);
      return statement.reader ? statement.all(parameters as unknown[]) : undefined;
    };
    // Answers by statement, then by parameters; all of them read while the counter was `keptAt`.
    const kept = new Map<string, Map<string, readonly unknown[]>>();
    let keptAt = -1;
    let keptCount = 0;
    directReads.set(kysely, {
      now: read,
      kept(sql, parameters) {
        if (database.inTransaction) return undefined;
        const stamp = changeCounter();
        if (stamp !== keptAt || keptCount >= KEPT_ANSWERS) {
          kept.clear();
          keptAt = stamp;
          keptCount = 0;
        }
        let answers = kept.get(sql);
        if (!answers) kept.set(sql, (answers = new Map()));
        const key = JSON.stringify(parameters);
        const answer = answers.get(key);
        if (answer) return answer;
        const rows = read(sql, parameters);
        if (!rows) return undefined;
        answers.set(key, Object.freeze(rows.map((row) => Object.freeze(row))));
        keptCount++;
        return rows;
      },
      requestStarted: forget,
    });
    return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: options.poolSize ?? 10,
    // Epoch-millisecond columns are bigint; they fit a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? Number
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
}
