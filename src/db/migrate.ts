import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Db, Dialect } from './connect.js';
import * as initial from './migrations/0001-initial.js';
import * as sessions from './migrations/0002-sessions.js';
import * as emailSearch from './migrations/0003-email-search.js';
import * as linkTokensById from './migrations/0004-link-tokens-by-id.js';
import * as keyOwnerNotifications from './migrations/0005-key-owner-notifications.js';
import * as sso from './migrations/0006-sso.js';
import * as customRoles from './migrations/0007-custom-roles.js';
import * as auditLog from './migrations/0008-audit-log.js';
import * as userCounts from './migrations/0009-user-counts.js';
import * as writersInParallel from './migrations/0010-writers-in-parallel.js';

interface DialectMigration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/** Every migration, in order. A new one is appended here, never edited once released. */
const MIGRATIONS: Record<string, DialectMigration> = {
  '0001-initial': initial,
  '0002-sessions': sessions,
  '0003-email-search': emailSearch,
  '0004-link-tokens-by-id': linkTokensById,
  '0005-key-owner-notifications': keyOwnerNotifications,
  '0006-sso': sso,
  '0007-custom-roles': customRoles,
  '0008-audit-log': auditLog,
  '0009-user-counts': userCounts,
  '0010-writers-in-parallel': writersInParallel,
};

function provider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, migration] of Object.entries(MIGRATIONS)) {
        out[name] = { up: (db) => migration.up(db, dialect) };
      }
      return out;
    },
  };
}

/**
 * Brings the schema up to date (or up to the migration `to`, for tests of an upgrade); returns
 * the names of the migrations it applied.
 */
export async function migrate(db: Db, { to }: { to?: string } = {}): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider: provider(db.dialect) });
  const { error, results } = await (to ? migrator.migrateTo(to) : migrator.migrateToLatest());
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Migrations this code knows that the database has not run yet (a process is then not ready). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider: provider(db.dialect) });
  return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
}
