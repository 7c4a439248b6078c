/**
 * PostgreSQL connections keep Roster's statements prepared (src/db/pg-statements.ts): a query
 * is parsed once per connection, from its second run, and a text run once is not kept. They
 * run no parallel plans (POSTGRES_OPTIONS in src/db/connect.ts).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connect, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { ownDatabase } from '../support/own-database.js';

describe.skipIf(!inject('postgresUrl'))('prepared statements [postgres]', () => {
  let db: Db;
  let drop: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const own = await ownDatabase('postgres');
    drop = own.drop;
    // One connection, so every query below runs on the one whose statements are listed.
    db = connect(loadConfig({ ROSTER_DATABASE_URL: own.url }).database, { poolSize: 1 });
    await migrate(db);
  });

  afterAll(async () => {
    await db.close();
    await drop();
  });

  const prepared = async () =>
    (
      await sql<{ name: string; statement: string }>`
        select name, statement from pg_prepared_statements`.execute(db.kysely)
    ).rows;

  const byName = (name: string) =>
    db.kysely.selectFrom('settings').select('value').where('key', '=', name).executeTakeFirst();

  it('runs no parallel plans', async () => {
    const { rows } = await sql<{ workers: string }>`
      select current_setting('max_parallel_workers_per_gather') as workers`.execute(db.kysely);
    expect(rows).toEqual([{ workers: '0' }]);
  });

  it('prepares a query from its second run, and runs it prepared with any values', async () => {
    await byName('first');
    expect((await prepared()).filter((s) => s.statement.includes('"settings"'))).toEqual([]);
    await db.kysely.insertInto('settings').values({ key: 'k', value: 'v' }).execute();
    await byName('second');
    const kept = (await prepared()).filter((s) => s.statement.includes('from "settings"'));
    expect(kept).toHaveLength(1);
    expect(kept[0]!.name).toMatch(/^roster_\d+$/);
    expect(await byName('k')).toEqual({ value: 'v' });
    expect(await byName('nobody')).toBeUndefined();
    expect((await prepared()).filter((s) => s.statement.includes('from "settings"'))).toHaveLength(
      1,
    );
  });

  it('keeps nothing of a text run once', async () => {
    await sql`select ${'once'}::text as only_once`.execute(db.kysely);
    expect((await prepared()).some((s) => s.statement.includes('only_once'))).toBe(false);
  });
});
