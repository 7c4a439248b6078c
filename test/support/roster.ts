/**
 * A real Roster on loopback, on a real database (SQLite file or PostgreSQL), sending mail
 * to a real in-process SMTP server, with a clock the test can move forward.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server, type ServerOptions } from '../../src/server.js';
import { loggerOptions } from '../../src/http/logging.js';
import { bootstrapAccount, mintKeyForUser } from '../../src/accounts/service.js';
import type { WorkerOptions } from '../../src/mail/worker.js';
import { encodeId } from '../../src/http/global-id.js';
import { startSmtp, type TestSmtp } from './smtp.js';

import { ownDatabase, tempDir, type DatabaseName } from './own-database.js';

export { tempDir, type DatabaseName };

/** The database URL for a fresh test server on `database`. */
export function databaseUrl(database: DatabaseName, dataDir: string): string {
  if (database === 'sqlite') return `sqlite:${path.join(dataDir, 'roster.db')}`;
  const url = inject('postgresUrl');
  if (!url) throw new Error('PostgreSQL is not available');
  return url;
}

/** Runs the suite once per database; PostgreSQL is skipped only off CI when it is unreachable. */
export function describeEachDatabase(name: string, suite: (database: DatabaseName) => void): void {
  for (const database of ['sqlite', 'postgres'] as const) {
    const skip = database === 'postgres' && !inject('postgresUrl');
    describe.skipIf(skip)(`${name} [${database}]`, () => suite(database));
  }
}

export interface TestClock {
  now: () => number;
  advance(ms: number): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

export interface Caller {
  key: string;
  userId: string;
  accountId: string;
  email: string;
}

export interface TestRoster {
  server: Server;
  url: string;
  smtp: TestSmtp;
  clock: TestClock;
  dataDir: string;
  /** The database it runs on, as ROSTER_DATABASE_URL names it: its own unless `env` named one. */
  databaseUrl: string;
  /** A fresh account with its admin. */
  newAccount(): Promise<Caller>;
  /** A new active user of the admin's account with the given role, and an API key for it. */
  newCaller(
    admin: Caller,
    role: 'admin' | 'member' | 'annotator',
    isDeveloper?: boolean,
  ): Promise<Caller>;
  /** JSON over HTTP with an API key. */
  api(
    key: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * Writes the statuses this server's /v2 routes answered (from its /metrics) for the run's
 * check against /openapi.json (documented-statuses.ts).
 */
async function recordStatuses(url: string): Promise<void> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const answered = [
    ...text.matchAll(
      /^roster_http_request_duration_seconds_count\{method="(\w+)",route="(\/v2[^"]*)",status="(\d+)"\}/gm,
    ),
  ].map(([, method, route, status]) => `${method} ${route!.replace(/\/$/, '')} ${status}\n`);
  fs.appendFileSync(inject('statusesFile'), answered.join(''));
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.com`;
}

export interface RosterOptions {
  env?: Record<string, string>;
  worker?: Partial<WorkerOptions>;
  smtp?: TestSmtp;
  /** Receives every log line (at info level and above), to check what is logged. */
  logStream?: (line: string) => void;
  /** How often the server's audit retention runs (src/audit/service.ts). */
  auditRetention?: ServerOptions['auditRetention'];
}

/**
 * Starts a server for a test that starts and stops servers itself (restarts, crashes, several
 * processes); a suite that needs one server throughout uses useRoster.
 */
export async function startRoster(
  database: DatabaseName,
  options: RosterOptions = {},
): Promise<TestRoster> {
  const dataDir = tempDir();
  // Each PostgreSQL server gets a database of its own: outbox workers of other test files (and
  // their moved clocks) must not see its rows.
  const own =
    database === 'postgres' && !options.env?.ROSTER_DATABASE_URL
      ? await ownDatabase(database)
      : undefined;
  const smtp = options.smtp ?? (await startSmtp());
  const clock = testClock();
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    ROSTER_DATA_DIR: dataDir,
    ROSTER_DATABASE_URL: own?.url ?? databaseUrl(database, dataDir),
    ROSTER_SMTP_URL: smtp.url,
    ROSTER_PUBLIC_URL: 'http://roster.test',
    ROSTER_API_RATE_LIMIT: '0',
    ROSTER_LOG_LEVEL: process.env.ROSTER_TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });
  const server = await startServer(config, {
    clock: clock.now,
    worker: { pollMs: 100, backoffBaseMs: 50, backoffMaxMs: 500, ...options.worker },
    auditRetention: options.auditRetention,
    ...(options.logStream
      ? { logger: { ...(loggerOptions('info') as object), stream: { write: options.logStream } } }
      : {}),
  });

  async function api(
    key: string | undefined,
    method: string,
    urlPath: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(server.url + urlPath, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  return {
    server,
    url: server.url,
    smtp,
    clock,
    dataDir,
    databaseUrl:
      config.database.dialect === 'sqlite' ? `sqlite:${config.database.file}` : config.database.url,
    api,
    async newAccount() {
      const email = uniqueEmail('admin');
      const made = await bootstrapAccount(server.deps, {
        accountName: `Account ${email}`,
        email,
        name: 'Ada Admin',
      });
      return {
        key: made.apiKey,
        userId: encodeId('User', made.userId),
        accountId: made.accountId,
        email,
      };
    },
    async newCaller(admin, role, isDeveloper = true) {
      const email = uniqueEmail(role);
      const created = await api(admin.key, 'POST', '/v2/users', {
        name: `A ${role}`,
        email,
        role: { type: 'predefined', name: role },
        invite_mode: 'none',
        is_developer: true,
      });
      if (created.status !== 201)
        throw new Error(`could not create ${role}: ${JSON.stringify(created.body)}`);
      const made = await mintKeyForUser(server.deps, { email, accountId: admin.accountId });
      if (!isDeveloper) {
        await api(admin.key, 'PATCH', `/v2/users/${created.body.id}`, { is_developer: false });
      }
      return { key: made.apiKey, userId: created.body.id, accountId: admin.accountId, email };
    },
    async close() {
      await recordStatuses(server.url);
      await server.close();
      if (!options.smtp) await smtp.close();
      await own?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The suite's server: started before its first test (beforeAll) and closed after its last
 * (afterAll). Call it before the suite's own hooks, so they run once the server is up and
 * before it is closed. The returned object stands for that server while it runs.
 */
export function useRoster(database: DatabaseName, options: RosterOptions = {}): TestRoster {
  let current: TestRoster | undefined;
  beforeAll(async () => {
    current = await startRoster(database, options);
  });
  afterAll(async () => {
    const started = current;
    current = undefined;
    await started?.close();
  });
  return duringSuite(() => current, "the suite's server");
}

/**
 * A stand-in for what a suite's beforeAll makes (`what`): each use reads `current()`, so it
 * can be named before the value exists; outside the suite's hooks it throws.
 */
export function duringSuite<T extends object>(current: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_, property) {
      const value = current();
      if (!value) throw new Error(`${what} exists only from its beforeAll to its afterAll`);
      return Reflect.get(value, property);
    },
  });
}
