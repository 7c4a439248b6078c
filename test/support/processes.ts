/**
 * Other processes on a test's database: more Roster servers, and a writer that holds SQLite's
 * write lock so that requests to several processes line up behind it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  duringSuite,
  useRoster,
  type Caller,
  type DatabaseName,
  type TestRoster,
} from './roster.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
}

/** The URL of the database a test server runs on, for other processes to share. */
export function databaseUrlOf(roster: TestRoster): string {
  const database = roster.server.deps.config.database;
  return database.dialect === 'sqlite' ? `sqlite:${database.file}` : database.url;
}

/** A Roster server in a process of its own on the given database; resolves with its URL. */
export async function startServerProcess(databaseUrl: string): Promise<ServerProcess> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ROSTER_')),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...env,
      HOST: '127.0.0.1',
      PORT: '0',
      ROSTER_DATABASE_URL: databaseUrl,
      ROSTER_API_RATE_LIMIT: '0',
      ROSTER_LOG_LEVEL: 'info',
    },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match) resolve({ url: match[1]!, child });
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => reject(new Error(`server process exited (${code}):\n${output}`)));
  });
}

export interface TwoProcesses {
  /** The suite's server, in the test's own process. */
  first: TestRoster;
  /** A Roster server in a process of its own, on the first one's database. */
  second: ServerProcess;
  /** The admin of an account made through the first. */
  admin: Caller;
  /** The status of listing users with `key` at the second process. */
  listAtSecond(key: string): Promise<number>;
  /** Lists at the second process until it has surely cached the key, expecting `status`. */
  cachedAtSecond(key: string, status?: number): Promise<void>;
}

/**
 * For a suite: two Roster processes on one database, and an account's admin. Like useRoster,
 * call it before the suite's own hooks; the second process ends after the suite.
 */
export function useTwoProcesses(database: DatabaseName): TwoProcesses {
  const first = useRoster(database);
  let second: ServerProcess | undefined;
  let admin: Caller | undefined;
  beforeAll(async () => {
    second = await startServerProcess(databaseUrlOf(first));
    admin = await first.newAccount();
  });
  afterAll(() => {
    second?.child.kill('SIGTERM');
    second = undefined;
  });
  const listAtSecond = async (key: string): Promise<number> => {
    const response = await fetch(`${second!.url}/v2/users?limit=1`, {
      headers: { authorization: `Bearer ${key}` },
    });
    await response.body?.cancel();
    return response.status;
  };
  return {
    first,
    second: duringSuite(() => second, 'the second process'),
    admin: duringSuite(() => admin, "the suite's admin"),
    listAtSecond,
    async cachedAtSecond(key, status = 200) {
      for (let i = 0; i < 3; i++) expect(await listAtSecond(key)).toBe(status);
    },
  };
}

/**
 * Another process takes SQLite's write lock and holds it for `ms`. Resolves (to a promise of
 * the process ending) once the lock is held.
 */
export async function holdSqliteWriteLock(file: string, ms: number): Promise<Promise<void>> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('begin immediate');
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    db.exec('rollback');
  `;
  const proc = spawn(process.execPath, ['-e', script, file, String(ms)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => proc.stdout!.once('data', () => resolve()));
  return new Promise<void>((resolve) => proc.once('exit', () => resolve()));
}
