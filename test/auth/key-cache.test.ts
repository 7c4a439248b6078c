/**
 * The API-key cache's rule (src/auth/key-cache.ts): an answer is given again only while
 * nothing that could change it has happened since it was read.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase } from '../../src/server.js';
import type { Db } from '../../src/db/connect.js';
import { startKeyCache, type KeyCache } from '../../src/auth/key-cache.js';
import { bootstrapAccount } from '../../src/accounts/service.js';
import { sha256 } from '../../src/auth/secrets.js';
import { inTransaction } from '../../src/db/transaction.js';
import { describeEachDatabase, uniqueEmail } from '../support/roster.js';
import { ownDatabase, type OwnDatabase } from '../support/own-database.js';
import { until } from '../support/wait.js';

describeEachDatabase('API-key cache', (database) => {
  let own: OwnDatabase;
  let config: Config;
  let db: Db;
  let other: Db;
  let cache: KeyCache;
  let keyHash: string;

  beforeAll(async () => {
    own = await ownDatabase(database);
    config = loadConfig({ ROSTER_DATABASE_URL: own.url });
    db = await openDatabase(config);
    other = await openDatabase(config);
    cache = startKeyCache(db, config.database, { listen: true });
    const deps = {
      db: other,
      config,
      clock: Date.now,
      serverSecret: 'x'.repeat(32),
      keys: startKeyCache(other, config.database, { listen: false }),
    };
    const made = await bootstrapAccount(deps, {
      accountName: 'Cache',
      email: uniqueEmail(),
      name: 'Ada',
    });
    keyHash = sha256(made.apiKey);
  });

  afterAll(async () => {
    await cache.close();
    await db.close();
    await other.close();
    await own.drop();
  });

  /** Whether the cache answers from what it kept (the same object) rather than a new read. */
  async function answersFromCache(): Promise<boolean> {
    const first = await cache.lookup(keyHash);
    return (await cache.lookup(keyHash)) === first;
  }

  const revoke = (at: number | null, handle = other) =>
    inTransaction(handle, (trx) =>
      trx.updateTable('api_keys').set({ revoked_at: at }).where('key_hash', '=', keyHash).execute(),
    );

  /**
   * That the cache answers `revokedAt` after another process's commit: at once on SQLite; on
   * PostgreSQL once the notification, sent at the commit, has arrived (within milliseconds; the
   * two-process test shows it is before the next request).
   */
  async function seen(revokedAt: number | null): Promise<void> {
    const answer = async () => (await cache.lookup(keyHash))?.revoked_at === revokedAt;
    if (database === 'sqlite') expect(await answer()).toBe(true);
    else await until(answer, `the cache answers revoked_at = ${revokedAt}`);
  }

  it('keeps an answer while nothing changed, and reads again after a commit by anyone', async () => {
    await until(answersFromCache, 'the cache keeps answers');
    const kept = await cache.lookup(keyHash);
    expect(kept?.revoked_at).toBeNull();
    await revoke(1);
    await seen(1);
    // Its own process's changes are seen at once on both databases, once settled.
    await until(answersFromCache, 'the cache keeps answers');
    await revoke(null, db);
    await cache.settled();
    expect((await cache.lookup(keyHash))?.revoked_at).toBeNull();
  });

  it("keeps its answers across its own process's writes that change no key", async () => {
    await until(answersFromCache, 'the cache keeps answers');
    const kept = await cache.lookup(keyHash);
    await inTransaction(db, (trx) =>
      trx
        .insertInto('settings')
        .values({ key: `unrelated-${Date.now()}`, value: '1' })
        .execute(),
    );
    expect(await cache.lookup(keyHash)).toBe(kept);
  });

  it.runIf(database === 'postgres')(
    'trusts nothing while its notification connection is down, and keeps answers again once back',
    async () => {
      await until(answersFromCache, 'the cache keeps answers');
      const admin = new pg.Client({ connectionString: own.url });
      await admin.connect();
      try {
        await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
            where application_name = 'roster-key-cache' and datname = current_database()`,
        );
      } finally {
        await admin.end();
      }
      // A change while no one listens: seen at once all the same.
      await until(async () => !(await answersFromCache()), 'the cache stops trusting itself');
      await revoke(2);
      expect((await cache.lookup(keyHash))?.revoked_at).toBe(2);
      await until(answersFromCache, 'the cache listens again');
      await revoke(null);
      await seen(null);
    },
  );
});
