import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
  type QueryResult,
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
   * connection or process. Both are asked at every read (see commitCounter).
   */
  kept(sql: string, parameters: readonly unknown[]): readonly unknown[] | undefined;
}

const directReads = new WeakMap<Kysely<Tables>, DirectReads>();

/** The direct reads of a SQLite Kysely instance (not of its transactions). */
export function directReadsOf(db: Kysely<Tables>): DirectReads | undefined {
  return directReads.get(db);
}

/**
 * SQLite only: runs any statement at once on the connection, answering as Kysely's driver
 * would. Only for the holder of the connection's open transaction (transaction.ts's write
 * batches), through `heldStatementsOf` its transaction: its statements then skip Kysely's
 * executor, connection provider and promise per layer, as direct reads do.
 */
export type HeldStatements = (sql: string, parameters: readonly unknown[]) => QueryResult<unknown>;

const heldStatements = new WeakMap<Kysely<Tables>, HeldStatements>();
const heldBy = new WeakMap<object, HeldStatements>();

/**
 * Lends the connection's statements to `trx`, a transaction of `db` that holds the
 * connection, until the returned function is called (before the transaction ends).
 */
export function holdStatements(db: Kysely<Tables>, trx: object): () => void {
  const run = heldStatements.get(db);
  if (!run) return () => {};
  heldBy.set(trx, run);
  return () => void heldBy.delete(trx);
}

/** The statements lent to this transaction (holdStatements), or undefined. */
export function heldStatementsOf(trx: object): HeldStatements | undefined {
  return heldBy.get(trx);
}

/** Kept answers per connection; when full, all are dropped. */
const KEPT_ANSWERS = 10_000;

export interface Db {
  kysely: Kysely<Tables>;
  dialect: Dialect;
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * Statements kept per SQLite connection; when full, the oldest one goes. (Not the least
 * recently used: moving a statement to the end of the Map at each of a create's dozen uses
 * made the Map rebuild its table every few dozen creates, one of the largest sources of
 * garbage promoted to the old generation in a heap profile. The queries here are a few dozen.)
 */
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
      if (!statement) {
        const prepared = database.prepare(sql);
        statement = prepared.readonly ? prepared : counted(sql, prepared);
        if (statements.size >= STATEMENT_CACHE_SIZE) {
          statements.delete(statements.keys().next().value!);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
    writes: () => writes,
    close(): void {
      statements.clear();
      database.close();
    },
  };
}

/** The wal-index format this reads (the `iVersion` field of its header). */
const WAL_INDEX_VERSION = 3007000;
/** One copy of the wal-index header; a second copy follows it. */
const WAL_INDEX_HEADER_BYTES = 48;

/**
 * A number that moves whenever any connection, in this process or another, has committed to
 * the database since it was last read (and sometimes when none has: that only costs a read).
 *
 * In WAL mode every commit rewrites the wal-index header at the start of the `-shm` file,
 * which every connection maps into memory: its change counter, frame count and salts
 * (https://www.sqlite.org/walformat.html, "The WAL-Index Header"). This maps those 48 bytes
 * too, through SQLite's own descriptor of the file (native/shared-file.c: a descriptor of its
 * own, once closed, would take SQLite's locks on the file with it), so a read is a comparison
 * in memory, with no system call: the header is asked at every kept read. A commit rewrites the
 * header before it returns, so a request sent after it sees it. `PRAGMA data_version` answers
 * the same question by opening and closing a read transaction, with a lock call on that file at
 * each end (11–16 µs under load); it remains the answer where the header cannot be mapped or is
 * not one this code knows. An in-memory database has no other connection: only this one's
 * writes change it.
 */
export function commitCounter(database: Database.Database, file: string) {
  if (file === ':memory:' || file === '') {
    return { via: 'none' as const, read: () => 0, close: () => {} };
  }
  const dataVersion = database.prepare('pragma data_version').pluck();
  const viaPragma = {
    via: 'data_version' as const,
    read: () => dataVersion.get() as number,
    close: () => {},
  };
  // A read makes sure the file exists and its header is initialised.
  dataVersion.get();
  // Not built is a broken install (npm install builds it), not a reason to run slower.
  const native = sharedFile();
  let mapped: ArrayBuffer;
  try {
    mapped = native.mapShared(`${file}-shm`, WAL_INDEX_HEADER_BYTES);
  } catch {
    return viaPragma;
  }
  const live = new Uint32Array(mapped);
  const seen = Uint32Array.from(live);
  const initialised = new Uint8Array(mapped)[12] === 1;
  // The header is in the byte order of the machine that wrote it, which is this one.
  if (live[0] !== WAL_INDEX_VERSION || !initialised) {
    native.unmapShared(mapped);
    return viaPragma;
  }
  let changes = 0;
  return {
    via: 'wal-index' as const,
    read(): number {
      for (let i = 0; i < seen.length; i++) {
        if (live[i] !== seen[i]) {
          // A header caught mid-write counts as a change too; the next read settles it.
          seen.set(live);
          changes++;
          break;
        }
      }
      return changes;
    },
    close: () => native.unmapShared(mapped),
  };
}

interface SharedFile {
  mapShared(path: string, bytes: number): ArrayBuffer;
  unmapShared(buffer: ArrayBuffer): void;
}

/** The native part (native/shared-file.c), built by `npm install`. */
const sharedFile = (() => {
  let loaded: SharedFile | undefined;
  return (): SharedFile =>
    (loaded ??= createRequire(import.meta.url)(
      fileURLToPath(new URL('../../build/Release/shared_file.node', import.meta.url)),
    ) as SharedFile);
})();

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
    // the default a checkpoint and its two fsyncs came every fifty creates. A server copies
    // most pages sooner, from a thread of its own (checkpointer.ts).
    database.pragma('wal_autocheckpoint = 10000');
    database.pragma('busy_timeout = 5000');
    database.pragma('foreign_keys = ON');
    // 8 MiB of page cache instead of the default 2 MiB: it holds the interior pages of every
    // index of a million-user database, so a lookup reads at most its leaf from the file.
    database.pragma('cache_size = -8192');
    // Savepoint and statement journals in memory instead of in a temporary file. Each piece
    // of a write batch runs in a savepoint (transaction.ts), and SQLite copies every page the
    // piece changes to that journal first: a create's twenty pages pass its 64 KiB limit,
    // and from then on each copy was a write to a file on disk, a fifth of a create's time
    // on the serving thread. The journal is emptied at each release, so it holds one piece's
    // pages at most. Sorts that outgrow the page cache also stay in memory; every query here
    // reads in index order or sorts a page of candidates.
    database.pragma('temp_store = MEMORY');
    const connection = keepingStatements(database);
    const kysely = new Kysely<Tables>({
      dialect: new ImmediateSqliteDialect({ database: connection }),
    });
    const commits = commitCounter(database, config.file);
    const changeCounter = () => connection.writes() + commits.read();
    const read = (sql: string, parameters: readonly unknown[]) => {
      if (database.inTransaction) return undefined;
      const statement = connection.prepare(sql);
      return statement.reader ? statement.all(parameters as unknown[]) : undefined;
    };
    // Answers by statement, then by each parameter in turn (a Map tells values apart by type as
    // well, and no key is built per read); all of them read while the counter was `keptAt`.
    type Answers = Map<unknown, Answers | readonly unknown[]>;
    const kept: Answers = new Map();
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
        let answers = kept;
        let key: unknown = sql;
        for (const parameter of parameters) {
          let next = answers.get(key) as Answers | undefined;
          if (!next) answers.set(key, (next = new Map()));
          answers = next;
          key = parameter;
        }
        const answer = answers.get(key) as readonly unknown[] | undefined;
        if (answer) return answer;
        const rows = read(sql, parameters);
        if (!rows) return undefined;
        answers.set(key, Object.freeze(rows.map((row) => Object.freeze(row))));
        keptCount++;
        return rows;
      },
    });
    heldStatements.set(kysely, (sql, parameters) => {
      const statement = connection.prepare(sql);
      if (statement.reader) return { rows: statement.all(parameters as unknown[]) };
      const { changes, lastInsertRowid } = statement.run(parameters as unknown[]);
      return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
    });
    return {
      kysely,
      dialect: 'sqlite',
      close: async () => {
        await kysely.destroy();
        commits.close();
      },
    };
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
  // A client losing its server must not crash the process; the next query on it reports it.
  // The pool listens for that on idle clients only, and a lent-out one (a transaction between
  // two statements) would emit its error to no listener: an uncaught exception.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
}
