/**
 * inTransaction: one plain transaction per call, on both databases. Each call commits or
 * fails on its own; one that loses a race runs again and sees the winner's write.
 */
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { connect, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { isUnavailable } from '../../src/db/errors.js';
import { inTransaction, type Trx } from '../../src/db/transaction.js';
import { describeEachDatabase } from '../support/roster.js';
import { ownDatabase } from '../support/own-database.js';
import { loadConfig } from '../../src/config.js';

const put = (trx: Trx, key: string, value: string) =>
  trx.insertInto('settings').values({ key, value }).execute();

describeEachDatabase('inTransaction', (database) => {
  let db: Db;
  let other: Db;
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const own = await ownDatabase(database);
    drop = own.drop;
    const config = loadConfig({ ROSTER_DATABASE_URL: own.url }).database;
    db = connect(config);
    await migrate(db);
    // A second handle, as another process would have.
    other = connect(config);
  });

  afterAll(async () => {
    await db.close();
    await other.close();
    await drop();
  });

  beforeEach(async () => {
    await db.kysely.deleteFrom('settings').where('key', 'not like', 'roster.%').execute();
  });

  /** What another process sees: only committed rows. */
  const committed = async (key: string) =>
    (
      await other.kysely
        .selectFrom('settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst()
    )?.value;

  it('a caller that fails is rolled back alone; the others commit and get their values', async () => {
    const results = await Promise.allSettled([
      inTransaction(db, async (trx) => (await put(trx, 'a', '1'), 'first')),
      inTransaction(db, async (trx) => {
        await put(trx, 'b', '2');
        throw new Error('changed my mind');
      }),
      inTransaction(db, async (trx) => (await put(trx, 'c', '3'), 'third')),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual([
      'first',
      'Error: changed my mind',
      'third',
    ]);
    expect([await committed('a'), await committed('b'), await committed('c')]).toEqual([
      '1',
      undefined,
      '3',
    ]);
  });

  it('a caller that loses a race runs again and sees the winner’s write', async () => {
    let runs = 0;
    const claim = (who: string, handle: Db) =>
      inTransaction(handle, async (trx) => {
        runs++;
        const owner = await trx
          .selectFrom('settings')
          .select('value')
          .where('key', '=', 'owner')
          .executeTakeFirst();
        if (owner) return `${who} found ${owner.value}`;
        // Yield between the read and the write, so a naive interleaving would let both in.
        await new Promise((resolve) => setTimeout(resolve, 5));
        await put(trx, 'owner', who);
        return `${who} owns it`;
      });
    const results = await Promise.all([claim('x', db), claim('y', db), claim('z', db)]);
    expect(results.filter((r) => r.endsWith('owns it'))).toHaveLength(1);
    const owner = await committed('owner');
    expect(results.filter((r) => r.endsWith(`found ${owner}`))).toHaveLength(2);
    expect(runs).toBeGreaterThanOrEqual(3);
  });

  it('many concurrent callers all commit', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((key) => inTransaction(db, (trx) => put(trx, key, key))));
    const count = await other.kysely
      .selectFrom('settings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('key', 'like', 'k%')
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(100);
  });

  it.runIf(database === 'sqlite')(
    'a transaction that cannot take the write lock fails as unavailable and writes nothing',
    async () => {
      const { rows } = await sql<{ file: string }>`
        select file from pragma_database_list where name = 'main'`.execute(db.kysely);
      const path = rows[0]!.file;
      // Another process holds the write lock past the busy timeout.
      const locker = new Database(path);
      locker.pragma('busy_timeout = 0');
      locker.exec('begin immediate');
      const short = connect({ dialect: 'sqlite', file: path });
      await sql`pragma busy_timeout = 50`.execute(short.kysely);
      try {
        const result = await inTransaction(short, (trx) => put(trx, 'd', '4')).catch(
          (error: unknown) => error,
        );
        expect(isUnavailable(result)).toBe(true);
      } finally {
        locker.exec('rollback');
        locker.close();
        await short.close();
      }
      expect(await committed('d')).toBeUndefined();
      // The connection is not stuck: the next caller goes through.
      await inTransaction(db, (trx) => put(trx, 'f', '6'));
      expect(await committed('f')).toBe('6');
    },
  );
});
