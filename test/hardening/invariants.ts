/**
 * Invariants that must hold after any scenario, checked straight in the database:
 * one user per (account, normalised email); at most one live token per purpose per user;
 * at least one active admin developer per account; at most MAX_WORKING_KEYS working API keys
 * per user; a user holds a custom role exactly when it names a role of its own account, which is
 * not deleted while the user is not; every outbox row pending, processing with a live lease, sent
 * or dead; every account's audit chain intact, and no audit entry keeping a field named as a
 * secret; and no plaintext secret anywhere in the database (audit entries included) or in the
 * captured logs. And, through
 * snapshotRows and expectNothingCommitted: no committed row from a request that answered 4xx
 * or 5xx.
 */
import { expect } from 'vitest';
import { sql } from 'kysely';
import type { Db } from '../../src/db/connect.js';
import { MAX_WORKING_KEYS } from '../../src/api-keys/service.js';
import { sealAuditLog } from '../../src/audit/sealer.js';
import { verifyAuditLog } from '../../src/audit/service.js';
import { isSecretField, REDACTED } from '../../src/audit/rules.js';

const TABLES = [
  'accounts',
  'settings',
  'users',
  'user_tokens',
  'api_keys',
  'outbox',
  'roles',
  'audit_entries',
  'audit_chains',
];

export async function checkInvariants(
  db: Db,
  options: { secrets?: string[]; logs?: string; now?: number } = {},
) {
  const k = db.kysely;
  const duplicates = await k
    .selectFrom('users')
    .select(['account_id', 'email_normalized'])
    .groupBy(['account_id', 'email_normalized'])
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  expect(duplicates, 'one user per (account, normalised email)').toEqual([]);

  const liveTwice = await k
    .selectFrom('user_tokens')
    .select(['user_id', 'purpose'])
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null)
    .groupBy(['user_id', 'purpose'])
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  expect(liveTwice, 'at most one live token per purpose per user').toEqual([]);

  const withoutAdmin = await k
    .selectFrom('accounts as a')
    .select('a.id')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('users as u')
            .select('u.id')
            .whereRef('u.account_id', '=', 'a.id')
            .where('u.role', '=', 'admin')
            .where('u.state', '=', 'active')
            .where('u.is_developer', '=', 1),
        ),
      ),
    )
    .execute();
  expect(withoutAdmin, 'at least one active admin developer per account').toEqual([]);

  const badRoles = await k
    .selectFrom('users as u')
    .leftJoin('roles as r', 'r.id', 'u.custom_role_id')
    .select(['u.id', 'u.role', 'u.custom_role_id'])
    .where((eb) =>
      eb.or([
        eb.and([eb('u.role', '=', 'custom'), eb('r.id', 'is', null)]),
        eb.and([eb('u.role', '!=', 'custom'), eb('u.custom_role_id', 'is not', null)]),
        eb('r.account_id', '!=', eb.ref('u.account_id')),
        eb.and([eb('r.deleted_at', 'is not', null), eb('u.state', '!=', 'inactive')]),
      ]),
    )
    .execute();
  expect(badRoles, "custom roles are held only as roles of the user's own account").toEqual([]);

  const now = options.now ?? Date.now();
  const overKeyed = await k
    .selectFrom('api_keys')
    .select('user_id')
    .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', now)]))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .groupBy('user_id')
    .having((eb) => eb.fn.countAll(), '>', MAX_WORKING_KEYS)
    .execute();
  expect(overKeyed, `at most ${MAX_WORKING_KEYS} working API keys per user`).toEqual([]);

  const badOutbox = await k
    .selectFrom('outbox')
    .select(['id', 'status', 'lease_until'])
    .where((eb) =>
      eb.not(
        eb.or([
          eb('status', 'in', ['pending', 'sent', 'dead']),
          eb.and([eb('status', '=', 'processing'), eb('lease_until', '>', now)]),
        ]),
      ),
    )
    .execute();
  expect(badOutbox, 'outbox rows are pending, processing with a live lease, sent or dead').toEqual(
    [],
  );

  const broken = (await verifyAuditLog(db)).filter((report) => report.findings.length > 0);
  expect(broken, "every account's audit chain is intact").toEqual([]);

  const entries = await k
    .selectFrom('audit_entries')
    .select(['id', 'variables', 'changes'])
    .execute();
  const keptSecrets = entries.flatMap((entry) =>
    [entry.variables, entry.changes].flatMap((text) =>
      text === null ? [] : secretFields(JSON.parse(text)).map((field) => `${entry.id}: ${field}`),
    ),
  );
  expect(keptSecrets, 'no audit entry keeps a field named as a secret').toEqual([]);

  const secrets = (options.secrets ?? []).filter((s) => s.length >= 8);
  if (secrets.length > 0) {
    const dump = await dumpDatabase(db);
    for (const secret of secrets) {
      expect(dump.includes(secret), 'no plaintext secret in the database').toBe(false);
      if (options.logs !== undefined)
        expect(options.logs.includes(secret), 'no plaintext secret in the logs').toBe(false);
    }
  }
}

/** Fields named as secrets (audit/rules.ts) that hold anything but REDACTED, anywhere in `value`. */
function secretFields(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => secretFields(item, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([name, inner]) =>
    isSecretField(name) && inner !== REDACTED
      ? [`${at}.${name}`]
      : secretFields(inner, `${at}.${name}`),
  );
}

async function dumpDatabase(db: Db): Promise<string> {
  const parts: string[] = [];
  for (const table of TABLES) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
      db.kysely,
    );
    parts.push(JSON.stringify(rows.rows));
  }
  return parts.join('\n');
}

/** Rows of one account in every table that carries account_id: "nothing changed" is checked per account. */
export async function countRows(db: Db, accountId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['users', 'user_tokens', 'api_keys', 'outbox']) {
    const row = await sql<{
      n: number | string;
    }>`select count(*) as n from ${sql.table(table)} where account_id = ${accountId}`.execute(
      db.kysely,
    );
    out[table] = Number(row.rows[0]!.n);
  }
  const updated = await sql<{
    m: number | string | null;
  }>`select max(updated_at) as m from users where account_id = ${accountId}`.execute(db.kysely);
  out.users_updated_at = Number(updated.rows[0]!.m ?? 0);
  return out;
}

/**
 * Columns that change on their own, not as a request's outcome: when a key was last used (the
 * caller's own key, written at most once a minute), when a session was last seen, and what the
 * outbox worker does with a queued message. (The sealer's chaining of audit entries, the
 * other, is done before each snapshot.)
 */
const BACKGROUND_COLUMNS: Record<string, string[]> = {
  api_keys: ['last_used_at'],
  sessions: ['last_seen_at'],
  outbox: ['status', 'attempts', 'next_attempt_at', 'lease_until', 'last_error', 'sent_at'],
};

const ALL_TABLES = [...TABLES, 'sessions', 'sign_in_failures'];

export type Snapshot = Record<string, string[]>;

/** Every row of every table, as JSON, sorted, without BACKGROUND_COLUMNS, entries chained. */
export async function snapshotRows(db: Db): Promise<Snapshot> {
  await sealAuditLog(db);
  const out: Snapshot = {};
  for (const table of ALL_TABLES) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
      db.kysely,
    );
    const skip = new Set(BACKGROUND_COLUMNS[table] ?? []);
    out[table] = rows.rows
      .map((row) =>
        JSON.stringify(
          Object.keys(row)
            .filter((column) => !skip.has(column))
            .sort()
            .map((column) => [column, String(row[column])]),
        ),
      )
      .sort();
  }
  return out;
}

/**
 * A request answered 4xx or 5xx: the database holds exactly the rows it held before (none
 * added, changed or removed, in any table).
 */
export async function expectNothingCommitted(db: Db, before: Snapshot, request: string) {
  const after = await snapshotRows(db);
  for (const table of ALL_TABLES) {
    expect(after[table], `${request}: no committed row in ${table}`).toEqual(before[table]);
  }
}
