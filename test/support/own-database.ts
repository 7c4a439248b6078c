/**
 * A database that no other test file uses. The PostgreSQL test database is shared by every test
 * file, and every running server's outbox worker delivers any due row in it: a test that
 * counts, delays or refuses email, or restarts a server, needs a database of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import os from 'node:os';

export type DatabaseName = 'sqlite' | 'postgres';

export function tempDir(prefix = 'roster-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface OwnDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function ownDatabase(database: DatabaseName): Promise<OwnDatabase> {
  if (database === 'sqlite') {
    const dir = tempDir('roster-own-');
    return {
      url: `sqlite:${path.join(dir, 'roster.db')}`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const shared = inject('postgresUrl');
  if (!shared) throw new Error('PostgreSQL is not available');
  // Named after the run's database, so the run's teardown finds any a crashed test left.
  const name = `${new URL(shared).pathname.slice(1)}_own_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: shared });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(shared);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      try {
        await admin.query(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}
