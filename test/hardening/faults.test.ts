/**
 * Faults of the things Roster depends on: the database going away mid-request, another writer
 * holding SQLite's lock, and the process being killed between committing and sending.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildOnce } from '../support/build.js';
import { startRoster, tempDir, uniqueEmail, type TestRoster } from '../support/roster.js';
import { startSmtp } from '../support/smtp.js';
import { checkInvariants } from './invariants.js';
import { connect } from '../../src/db/connect.js';
import { sql } from 'kysely';

const member = (email: string, mode = 'email_link') => ({
  name: 'Faulty Towers',
  email,
  role: { type: 'predefined', name: 'member' },
  invite_mode: mode,
});

describe.skipIf(!inject('postgresUrl'))('PostgreSQL connection lost mid-request', () => {
  let roster: TestRoster;
  let admin: pg.Client;
  let databaseName: string;

  beforeAll(async () => {
    // A database of its own: terminating its connections must not touch other suites.
    const base = new URL(inject('postgresUrl')!);
    databaseName = `roster_fault_${randomBytes(4).toString('hex')}`;
    admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`create database ${databaseName}`);
    base.pathname = `/${databaseName}`;
    roster = await startRoster('postgres', { env: { ROSTER_DATABASE_URL: base.toString() } });
  });
  afterAll(async () => {
    await roster.close();
    await admin.query(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
  });

  it('answers a clean 503, writes no partial user, and recovers when the database returns', async () => {
    const owner = await roster.newAccount();
    const email = uniqueEmail('cut');
    const locker = new pg.Client({
      connectionString:
        roster.server.deps.config.database.dialect === 'postgres'
          ? roster.server.deps.config.database.url
          : '',
    });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table users in access exclusive mode');
    const pending = roster.api(owner.key, 'POST', '/v2/users', member(email));
    await new Promise((r) => setTimeout(r, 300));
    await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> $2',
      [databaseName, (await locker.query('select pg_backend_pid() as pid')).rows[0].pid],
    );
    const response = await pending;
    await locker.query('rollback');
    await locker.end();
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.detail).toMatch(/temporarily unavailable/);
    const list = await roster.api(owner.key, 'GET', `/v2/users?email=${encodeURIComponent(email)}`);
    expect(list.status).toBe(200);
    expect(list.body.users).toEqual([]);
    const retried = await roster.api(owner.key, 'POST', '/v2/users', member(email));
    expect(retried.status).toBe(201);
    await checkInvariants(roster.server.deps.db);
  });
});

describe.skipIf(!inject('postgresUrl'))('PostgreSQL connection lost while lent out', () => {
  it('a connection that dies between two statements of a transaction fails the next one; the process lives on', async () => {
    const base = new URL(inject('postgresUrl')!);
    const databaseName = `roster_fault_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`create database ${databaseName}`);
    base.pathname = `/${databaseName}`;
    const db = connect({ dialect: 'postgres', url: base.toString() });
    try {
      const attempt = db.kysely.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        // The pool lends its clients without an error listener: the client's error event,
        // with no query to fail, would otherwise reach the process as an uncaught exception.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql`select 1`.execute(trx);
      });
      await expect(attempt).rejects.toThrow();
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db.kysely);
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
      await admin.query(`drop database if exists ${databaseName} with (force)`);
      await admin.end();
    }
  });
});

/**
 * Another process takes SQLite's write lock and holds it for `ms`. Resolves (to a promise of
 * the process ending) once the lock is held.
 */
async function holdWriteLock(file: string, ms: number): Promise<Promise<void>> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('begin immediate');
    process.stdout.write('locked\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    db.exec('rollback');
  `;
  const proc = spawn(process.execPath, ['-e', script, file, String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => proc.stdout!.once('data', () => resolve()));
  return new Promise<void>((resolve) => proc.once('exit', () => resolve()));
}

describe('SQLite locked by another writer', () => {
  let roster: TestRoster;
  beforeAll(async () => {
    roster = await startRoster('sqlite');
  });
  afterAll(() => roster.close());

  it('waits for the lock under normal contention instead of failing', async () => {
    const owner = await roster.newAccount();
    // Another process holds the write lock for half a second; busy_timeout waits it out.
    const other = await holdWriteLock(path.join(roster.dataDir, 'roster.db'), 500);
    const response = await roster.api(owner.key, 'POST', '/v2/users', member(uniqueEmail('lock')));
    await other;
    expect(response.status).toBe(201);
  });

  it('never answers 500 when the lock is held past the busy timeout', async () => {
    const owner = await roster.newAccount();
    const other = await holdWriteLock(path.join(roster.dataDir, 'roster.db'), 7000);
    const email = uniqueEmail('locked');
    const response = await roster.api(owner.key, 'POST', '/v2/users', member(email));
    await other;
    // Either this request met the lock and gave up after the busy timeout (503, nothing
    // written), or another statement of this process did and the request ran once it lifted.
    expect([201, 503]).toContain(response.status);
    if (response.status === 503) expect(response.body.status).toBe(503);
    const list = await roster.api(owner.key, 'GET', `/v2/users?email=${encodeURIComponent(email)}`);
    expect(list.body.users).toHaveLength(response.status === 201 ? 1 : 0);
    await checkInvariants(roster.server.deps.db);
  }, 20_000);
});

describe('killed with SIGKILL after committing a create, before sending', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  let child: ChildProcess | undefined;

  beforeAll(buildOnce, 120_000);
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  async function serve(
    env: Record<string, string>,
  ): Promise<{ process: ChildProcess; url: string; key?: string; output: () => string }> {
    const proc = spawn(process.execPath, ['dist/main.js'], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      // "started" is logged last, after the first start's banner (and its key).
      const match = /Roster listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match && /Roster \S+ started/.test(output)) {
        const key = /rstr_[A-Za-z0-9_-]+/.exec(output)?.[0];
        return { process: proc, url: match[1]!, key, output: () => output };
      }
      if (Date.now() > deadline || proc.exitCode !== null)
        throw new Error(`server did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until the outbox row to `email`, read from the SQLite file, satisfies `done`. */
  async function rowReaches(
    file: string,
    email: string,
    done: (row: { status: string; attempts: number }) => boolean,
  ): Promise<void> {
    const db = new Database(file, { readonly: true });
    try {
      for (let i = 0; ; i++) {
        const row = db
          .prepare('select status, attempts from outbox where recipient = ?')
          .get(email) as { status: string; attempts: number } | undefined;
        if (row && done(row)) return;
        if (i > 200) throw new Error(`outbox row not as expected: ${JSON.stringify(row)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      db.close();
    }
  }

  it('delivers the email after restart, exactly once', async () => {
    const dataDir = tempDir();
    const smtp = await startSmtp();
    const smtpPort = smtp.port;
    await smtp.close(); // down while the create commits: the row stays pending
    const env = {
      HOST: '127.0.0.1',
      PORT: '0',
      ROSTER_DATA_DIR: dataDir,
      ROSTER_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ROSTER_LOG_LEVEL: 'info',
    };
    const first = await serve(env);
    child = first.process;
    const email = uniqueEmail('killed');
    const created = await fetch(`${first.url}/v2/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(member(email)),
    });
    expect(created.status).toBe(201);
    // Wait until the first delivery attempt has failed (SMTP is down), so the row is pending
    // rather than leased by a process about to die; then kill without any shutdown.
    await rowReaches(
      path.join(dataDir, 'roster.db'),
      email,
      (row) => row.status === 'pending' && row.attempts >= 1,
    );
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));

    const back = await startSmtp(smtpPort);
    try {
      const second = await serve(env);
      child = second.process;
      const [mail] = await back
        .waitFor((m) => m.to.includes(email), 1, 20_000)
        .catch((error: Error) => {
          throw new Error(`${error.message}\n${second.output()}`);
        });
      expect(mail!.text).toContain('/invitations/accept?token=');
      // Once its row is marked sent no worker takes it again: what arrived is all that will.
      await rowReaches(path.join(dataDir, 'roster.db'), email, (row) => row.status === 'sent');
      expect(back.to(email)).toHaveLength(1);
      second.process.kill('SIGTERM');
    } finally {
      await back.close();
    }
  }, 60_000);
});
