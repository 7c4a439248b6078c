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
import { listUsers } from '../../src/users/store.js';
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

  it('runs the plan made once for any values, and no parallel plans', async () => {
    const { rows } = await sql<{ plans: string; workers: string }>`
      select current_setting('plan_cache_mode') as plans,
             current_setting('max_parallel_workers_per_gather') as workers`.execute(db.kysely);
    expect(rows).toEqual([{ plans: 'force_generic_plan', workers: '0' }]);
  });

  it('plans a listing filtered by email for its substring, and any other listing once', async () => {
    const list = (emailContains?: string) =>
      listUsers(db.kysely, {
        accountId: 'none',
        statuses: ['active', 'invited'],
        limit: 50,
        now: Date.now(),
        ...(emailContains ? { emailContains } : {}),
      });
    for (const substring of ['ada', 'grace', 'ada']) await list(substring);
    for (let i = 0; i < 3; i++) await list();
    const plans = (
      await sql<{ statement: string; generic_plans: number; custom_plans: number }>`
        select statement, generic_plans::int, custom_plans::int from pg_prepared_statements
         where statement like '%from "users" as "u"%'`.execute(db.kysely)
    ).rows;
    const filtered = plans.filter((p) => p.statement.includes(' like '));
    const plain = plans.filter((p) => !p.statement.includes(' like '));
    expect(filtered).toHaveLength(1);
    expect(filtered[0]).toMatchObject({ generic_plans: 0, custom_plans: 2 });
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatchObject({ generic_plans: 2, custom_plans: 0 });
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
