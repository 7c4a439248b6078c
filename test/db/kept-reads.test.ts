/**
 * On SQLite the API-key lookup and GET /v2/users/{id} reuse answers while the database is
 * unchanged. A commit by any other connection (another process: the CLI, a second server)
 * must take effect at the very next read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitCounter, directReadsOf } from '../../src/db/connect.js';
import { decodeId } from '../../src/http/global-id.js';
import { startRoster, uniqueEmail, type Caller, type TestRoster } from '../support/roster.js';

describe('answers kept on SQLite', () => {
  let roster: TestRoster;
  let admin: Caller;
  let other: Database.Database;

  beforeAll(async () => {
    roster = await startRoster('sqlite');
    admin = await roster.newAccount();
    other = new Database(path.join(roster.dataDir, 'roster.db'));
    other.pragma('busy_timeout = 5000');
  });
  afterAll(async () => {
    other.close();
    await roster.close();
  });

  const get = (id: string, key = admin.key) => roster.api(key, 'GET', `/v2/users/${id}`);

  async function newUser(): Promise<{ id: string; internalId: string }> {
    const created = await roster.api(admin.key, 'POST', '/v2/users', {
      name: 'Ada Lovelace',
      email: uniqueEmail('kept'),
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'none',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    return { id, internalId: decodeId('User', id)! };
  }

  it("another connection's change to a user shows at the next read", async () => {
    const user = await newUser();
    for (let i = 0; i < 3; i++) expect((await get(user.id)).body.name).toBe('Ada Lovelace');
    other.prepare('update users set name = ? where id = ?').run('Ada King', user.internalId);
    expect((await get(user.id)).body.name).toBe('Ada King');
    other.prepare("update users set state = 'inactive' where id = ?").run(user.internalId);
    expect((await get(user.id)).status).toBe(404);
  });

  it("this server's own change shows at the next read", async () => {
    const user = await newUser();
    expect((await get(user.id)).body.name).toBe('Ada Lovelace');
    const patched = await roster.api(admin.key, 'PATCH', `/v2/users/${user.id}`, {
      name: 'Countess Lovelace',
    });
    expect(patched.status).toBe(200);
    expect((await get(user.id)).body.name).toBe('Countess Lovelace');
  });

  it('a key revoked, or its owner made a non-developer, by another connection is refused at the next request', async () => {
    const caller = await roster.newCaller(admin, 'member');
    const user = await newUser();
    const callerId = decodeId('User', caller.userId)!;
    for (let i = 0; i < 3; i++) expect((await get(user.id, caller.key)).status).toBe(200);

    other.prepare('update users set is_developer = 0 where id = ?').run(callerId);
    expect((await get(user.id, caller.key)).status).toBe(403);
    other.prepare('update users set is_developer = 1 where id = ?').run(callerId);
    expect((await get(user.id, caller.key)).status).toBe(200);

    other
      .prepare('update api_keys set revoked_at = ? where user_id = ?')
      .run(Date.now() - 1, callerId);
    expect((await get(user.id, caller.key)).status).toBe(401);
  });

  it("another connection's commit is seen by the very next kept read, with no request between", async () => {
    const user = await newUser();
    const reads = directReadsOf(roster.server.deps.db.kysely)!;
    const sql = 'select name from users where id = ?';
    const name = () => (reads.kept(sql, [user.internalId]) as { name: string }[])[0]!.name;
    expect(name()).toBe('Ada Lovelace');
    expect(name()).toBe('Ada Lovelace');
    other.prepare('update users set name = ? where id = ?').run('Ada King', user.internalId);
    expect(name()).toBe('Ada King');
  });

  it('answers are kept per value and type of each parameter', () => {
    const reads = directReadsOf(roster.server.deps.db.kysely)!;
    const sql = 'select ? as a, ? as b, typeof(?) as t';
    const answer = (a: unknown, b: unknown) => reads.kept(sql, [a, b, b]);
    expect(answer('x', 1)).toEqual([{ a: 'x', b: 1, t: 'real' }]);
    expect(answer('x', '1')).toEqual([{ a: 'x', b: '1', t: 'text' }]);
    expect(answer('x', null)).toEqual([{ a: 'x', b: null, t: 'null' }]);
    expect(answer('y', 1)).toEqual([{ a: 'y', b: 1, t: 'real' }]);
    // Asked again, each is the answer kept for exactly those values.
    expect(answer('x', 1)).toBe(answer('x', 1));
    expect(answer('x', '1')).toEqual([{ a: 'x', b: '1', t: 'text' }]);
  });

  it('a write that returns rows is run every time, never answered from before', () => {
    const reads = directReadsOf(roster.server.deps.db.kysely)!;
    const sql = "insert into settings (key, value) values (?, 'x') returning key";
    expect(reads.kept(sql, ['kept-write-1'])).toEqual([{ key: 'kept-write-1' }]);
    expect(() => reads.kept(sql, ['kept-write-1'])).toThrow(/UNIQUE/);
    expect(reads.kept(sql, ['kept-write-2'])).toEqual([{ key: 'kept-write-2' }]);
  });

  it('a kept answer cannot be changed by its reader, and lasts until a write changes a row', async () => {
    const user = await newUser();
    await get(user.id);
    const reads = roster.server.deps.db.kysely;
    // A second read of the same row: the kept rows are frozen, so a caller that tried to
    // modify one would throw instead of changing what the next request sees.
    const { findUserById } = await import('../../src/users/store.js');
    const accountId = (
      other.prepare('select account_id from users where id = ?').get(user.internalId) as {
        account_id: string;
      }
    ).account_id;
    const row = await findUserById(reads, accountId, user.internalId);
    expect(Object.isFrozen(row)).toBe(true);

    // The same answer while nothing changes, even after a write that changed no row (as
    // the outbox worker's poll does every second); a new one after a write that did.
    await reads
      .updateTable('users')
      .set({ name: 'Nobody' })
      .where('id', '=', 'no such id')
      .execute();
    expect(await findUserById(reads, accountId, user.internalId)).toBe(row);
    await reads
      .updateTable('users')
      .set({ name: 'Ada Byron' })
      .where('id', '=', user.internalId)
      .execute();
    const changed = await findUserById(reads, accountId, user.internalId);
    expect(changed).not.toBe(row);
    expect(changed?.name).toBe('Ada Byron');
  });
});

describe('the count of commits (the wal-index header)', () => {
  function openWal(file: string): Database.Database {
    const database = new Database(file);
    database.pragma('journal_mode = WAL');
    database.pragma('busy_timeout = 5000');
    return database;
  }

  /**
   * Two connections (`open` makes each) to a new database file with a table `t`, made by the
   * second; both closed and the file removed after `use`.
   */
  function withTwoConnections(
    open: (file: string) => Database.Database,
    use: (file: string, mine: Database.Database, theirs: Database.Database) => void,
  ): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-commits-'));
    const file = path.join(dir, 'roster.db');
    const mine = open(file);
    const theirs = open(file);
    try {
      theirs.exec('create table t (n integer)');
      use(file, mine, theirs);
    } finally {
      mine.close();
      theirs.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('moves with each commit of another connection, also after the WAL restarts, and only then', () => {
    withTwoConnections(openWal, (file, mine, theirs) => {
      const commits = commitCounter(mine, file);
      expect(commits.via).toBe('wal-index');
      const start = commits.read();
      expect(commits.read()).toBe(start);
      mine.prepare('select count(*) from t').get();
      expect(commits.read()).toBe(start);

      const insert = theirs.prepare('insert into t (n) values (?)');
      let last = start;
      for (let n = 0; n < 5; n++) {
        insert.run(n);
        const now = commits.read();
        expect(now).not.toBe(last);
        last = now;
      }
      // A checkpoint that empties the WAL: the next commit starts it again from its first
      // frame (new salts), and still counts.
      theirs.pragma('wal_checkpoint(TRUNCATE)');
      const afterCheckpoint = commits.read();
      insert.run(99);
      expect(commits.read()).not.toBe(afterCheckpoint);
      // A rolled-back transaction changes nothing.
      const steady = commits.read();
      theirs.exec('begin immediate; insert into t (n) values (100); rollback');
      expect(commits.read()).toBe(steady);
      commits.close();
    });
  });

  it('asks nothing of an in-memory database, which no other connection can change', () => {
    const database = new Database(':memory:');
    const commits = commitCounter(database, ':memory:');
    expect(commits.via).toBe('none');
    expect(commits.read()).toBe(commits.read());
    commits.close();
    database.close();
  });

  it('asks data_version of a database not in WAL mode, which has no wal-index to read', () => {
    withTwoConnections(
      (file) => new Database(file),
      (file, mine, theirs) => {
        const commits = commitCounter(mine, file);
        expect(commits.via).toBe('data_version');
        const start = commits.read();
        theirs.prepare('insert into t (n) values (1)').run();
        expect(commits.read()).not.toBe(start);
        commits.close();
      },
    );
  });

  /** The POSIX locks this process holds on a file, as Linux lists them: "start-end" each. */
  function locksHeld(file: string): string[] {
    const inode = `:${fs.statSync(file).ino}`;
    return fs
      .readFileSync('/proc/locks', 'utf8')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[4] === String(process.pid) && fields[5]?.endsWith(inode))
      .map((fields) => `${fields[6]}-${fields[7]}`);
  }

  // Closing any descriptor of a file drops every POSIX lock the process holds on it. Without
  // SQLite's shared lock on the -shm, the next process to open the database takes itself for
  // the first, and truncates the file under this one's connections.
  it.runIf(fs.existsSync('/proc/locks'))(
    'leaves the locks SQLite holds on the -shm file in place, mapped and once closed',
    () => {
      withTwoConnections(openWal, (file, mine) => {
        mine.prepare('select count(*) from t').get();
        const held = locksHeld(`${file}-shm`);
        expect(held).not.toEqual([]);
        const commits = commitCounter(mine, file);
        expect(commits.via).toBe('wal-index');
        expect(locksHeld(`${file}-shm`)).toEqual(held);
        commits.close();
        expect(locksHeld(`${file}-shm`)).toEqual(held);
      });
    },
  );

  it('reads nothing once closed, and may be closed twice', () => {
    withTwoConnections(openWal, (file, mine) => {
      const commits = commitCounter(mine, file);
      expect(commits.via).toBe('wal-index');
      commits.close();
      commits.close();
      // A read after close is a mistake: it throws instead of touching memory let go.
      expect(() => commits.read()).toThrow(/detached/);
    });
  });
});
