/**
 * Once per test run: create a fresh PostgreSQL database for this run (dropped afterwards),
 * and hand its URL to the test files. On CI a missing PostgreSQL fails the run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | undefined;
  }
}

const ADMIN_URL =
  process.env.ROSTER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject) {
  const name = `roster_test_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (error) {
    await admin.end().catch(() => {});
    if (process.env.CI === 'true') {
      throw new Error(
        `PostgreSQL is required on CI but unreachable at ${ADMIN_URL}: ${String(error)}`,
        { cause: error },
      );
    }
    console.warn(`PostgreSQL unreachable at ${ADMIN_URL}; PostgreSQL tests are skipped`);
    project.provide('postgresUrl', undefined);
    return;
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  project.provide('postgresUrl', url.toString());
  return async () => {
    const { rows } = await admin.query<{ datname: string }>(
      'select datname from pg_database where datname = $1 or datname like $2',
      [name, `${name}_own_%`],
    );
    for (const row of rows)
      await admin.query(`drop database if exists ${row.datname} with (force)`);
    await admin.end();
  };
}
