/**
 * inTransaction on SQLite: concurrent callers share one transaction (group commit), and each
 * still commits or fails on its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, heldStatementsOf, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { isUnavailable } from '../../src/db/errors.js';
import { precompiled } from '../../src/db/precompiled.js';
import { inTransaction, type Trx } from '../../src/db/transaction.js';

let dir: string;
let file: string;
let db: Db;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-trx-'));
  file = path.join(dir, 'roster.db');
  db = connect({ dialect: 'sqlite', file });
  await migrate(db);
});

afterAll(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Put = (trx: Trx, key: string, value: string) => Promise<unknown>;

const built: Put = (trx, key, value) => trx.insertInto('settings').values({ key, value }).execute();

// A precompiled statement runs straight on the connection the batch holds (holdStatements);
// a built one goes through Kysely's executor. Both must behave alike.
const insertSetting = precompiled<{ key: string; value: string }, never>(
  ['key', 'value'],
  (trx, values) => trx.insertInto('settings').values(values),
);
const direct: Put = (trx, key, value) => insertSetting.execute(trx, { key, value });

let put = built;

const get = async (key: string) =>
  (await db.kysely.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())
    ?.value;

/** What another process sees: only committed rows. */
function committed(key: string): string | undefined {
  const other = new Database(file, { readonly: true });
  try {
    const row = other.prepare('select value from settings where key = ?').get(key) as
      { value: string } | undefined;
    return row?.value;
  } finally {
    other.close();
  }
}

describe.each([
  ['built', built],
  ['precompiled', direct],
] as const)('inTransaction on SQLite, %s statements', (kind, writer) => {
  beforeAll(async () => {
    put = writer;
    await db.kysely.deleteFrom('settings').where('key', 'in', ['a', 'b', 'c', 'owner']).execute();
  });

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
    expect([await get('a'), await get('b'), await get('c')]).toEqual(['1', undefined, '3']);
    expect([committed('a'), committed('b'), committed('c')]).toEqual(['1', undefined, '3']);
  });

  it('a caller that loses a race to another in the same transaction runs again and sees its write', async () => {
    let runs = 0;
    const claim = (who: string) =>
      inTransaction(db, async (trx) => {
        runs++;
        const owner = await trx
          .selectFrom('settings')
          .select('value')
          .where('key', '=', 'owner')
          .executeTakeFirst();
        if (owner) return `${who} found ${owner.value}`;
        // Yield between the read and the write, so a naive interleaving would let both in.
        await new Promise((resolve) => setImmediate(resolve));
        await put(trx, 'owner', who);
        return `${who} owns it`;
      });
    const results = await Promise.all([claim('x'), claim('y'), claim('z')]);
    expect(results).toEqual(['x owns it', 'y found x', 'z found x']);
    expect(committed('owner')).toBe('x');
    expect(runs).toBe(3);
  });

  it('the connection is lent to the batch only while it is open', async () => {
    let inBatch: Trx | undefined;
    await inTransaction(db, async (trx) => {
      inBatch = trx;
      expect(heldStatementsOf(trx)).toBeDefined();
      await put(trx, `held ${kind}`, kind);
    });
    expect(heldStatementsOf(inBatch!)).toBeUndefined();
    expect(committed(`held ${kind}`)).toBe(kind);
  });
});

describe('inTransaction on SQLite', () => {
  it('nobody is answered before the commit, and when the commit cannot happen all fail and nothing is written', async () => {
    // Another process holds the write lock past the busy timeout.
    const locker = new Database(file);
    locker.pragma('busy_timeout = 0');
    locker.exec('begin immediate');
    const short = connect({ dialect: 'sqlite', file });
    await sql`pragma busy_timeout = 50`.execute(short.kysely);
    try {
      const results = await Promise.allSettled([
        inTransaction(short, (trx) => put(trx, 'd', '4')),
        inTransaction(short, (trx) => put(trx, 'e', '5')),
      ]);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect(isUnavailable((result as PromiseRejectedResult).reason)).toBe(true);
      }
    } finally {
      locker.exec('rollback');
      locker.close();
      await short.close();
    }
    expect([committed('d'), committed('e')]).toEqual([undefined, undefined]);
    // The queue is not stuck: the next caller goes through.
    await inTransaction(db, (trx) => put(trx, 'f', '6'));
    expect(committed('f')).toBe('6');
  });

  it('many concurrent callers all commit', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    await Promise.all(keys.map((key) => inTransaction(db, (trx) => put(trx, key, key))));
    const count = await db.kysely
      .selectFrom('settings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('key', 'like', 'k%')
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(100);
  });
});

describe('SQLite journals of a write batch', () => {
  /** Files SQLite opened for temporary data: unlinked at once, so only /proc shows them. */
  function openTemporaryFiles(): string[] {
    const fds = fs.readdirSync('/proc/self/fd');
    return fds
      .map((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      })
      .filter((target) => target.includes('etilqs_'));
  }

  it.runIf(process.platform === 'linux')(
    'a piece that changes many pages keeps its savepoint journal in memory, not in a file',
    async () => {
      // About a hundred pages, well past the 64 KiB a journal keeps in memory by default.
      const keys = Array.from({ length: 100 }, (_, i) => `journal-${i}`);
      await inTransaction(db, async (trx) => {
        for (const key of keys) await put(trx, key, 'x'.repeat(4000));
      });
      const before = openTemporaryFiles();
      const seen = await inTransaction(db, async (trx) => {
        // Pages that existed when the savepoint began: each is copied to its journal first.
        for (const key of keys) {
          await trx
            .updateTable('settings')
            .set({ value: 'y'.repeat(4000) })
            .where('key', '=', key)
            .execute();
        }
        return openTemporaryFiles();
      });
      expect(seen).toEqual(before);
      expect(await get('journal-99')).toBe('y'.repeat(4000));
    },
  );
});
