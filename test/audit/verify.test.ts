/**
 * The audit log from the command line: the commands' own entries (bootstrap, accounts rename,
 * api-keys create), `roster audit verify` finding rows altered, deleted and reordered straight
 * in the database, and retention cutting old entries without breaking what remains.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { buildOnce } from '../support/build.js';
import { sql } from 'kysely';
import { ConfigError, loadConfig } from '../../src/config.js';
import { decodeId, encodeId } from '../../src/http/global-id.js';
import { sealAuditLog } from '../../src/audit/sealer.js';
import { pruneAuditLog, verifyAuditLog } from '../../src/audit/service.js';
import {
  describeEachDatabase,
  startRoster,
  tempDir,
  uniqueEmail,
  useRoster,
  type Caller,
} from '../support/roster.js';
import { until } from '../support/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/roster.js');
const DAY = 24 * 3600 * 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = any;

beforeAll(buildOnce, 120_000);

it('ROSTER_AUDIT_RETENTION_DAYS is 365 days by default, and a whole number of days from 1', () => {
  expect(loadConfig({}).auditRetentionDays).toBe(365);
  expect(loadConfig({ ROSTER_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
  for (const bad of ['0', '-1', '1.5', 'forever', '99999999']) {
    expect(() => loadConfig({ ROSTER_AUDIT_RETENTION_DAYS: bad }), bad).toThrow(ConfigError);
    expect(() => loadConfig({ ROSTER_AUDIT_RETENTION_DAYS: bad }), bad).toThrow(
      /ROSTER_AUDIT_RETENTION_DAYS/,
    );
  }
});

describeEachDatabase('audit log: commands, verification, retention', (database) => {
  const roster = useRoster(database);

  function cli(
    ...args: string[]
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('ROSTER_')),
    );
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd: ROOT,
        env: {
          ...env,
          ROSTER_DATA_DIR: tempDir('roster-audit-'),
          ROSTER_DATABASE_URL: roster.databaseUrl,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  const db = () => roster.server.deps.db.kysely;

  async function entries(admin: Caller): Promise<Entry[]> {
    const page = await roster.api(admin.key, 'GET', '/v2/audit-logs?limit=100');
    expect(page.status).toBe(200);
    return page.body.logs;
  }

  /** A new account with a few changes in it: its admin and its chain, oldest first. */
  async function accountWithChanges(count = 5) {
    const admin = await roster.newAccount();
    for (let i = 0; i < count; i++) {
      const created = await roster.api(admin.key, 'POST', '/v2/users', {
        name: `Person ${i}`,
        email: uniqueEmail(),
        role: { type: 'predefined', name: 'member' },
        invite_mode: 'none',
      });
      expect(created.status).toBe(201);
    }
    // Rows are tampered with once chained: an entry not chained yet has no hash to betray it.
    await sealAuditLog(roster.server.deps.db);
    const chain = await db()
      .selectFrom('audit_entries')
      .selectAll()
      .where('account_id', '=', admin.accountId)
      .orderBy('seq')
      .execute();
    return { admin, chain, account: encodeId('Account', admin.accountId) };
  }

  const verify = (account: string) => cli('audit', 'verify', '--account-id', account);
  const globalEntryId = (id: string) => encodeId('AuditLog', id);

  it('each command writes its entry: no user acted, no address, the options without the key', async () => {
    const email = uniqueEmail('admin');
    const made = await cli('bootstrap', '--email', email, '--name', 'Ada Admin', '--json');
    expect(made.code, made.stderr).toBe(0);
    const { account_id, api_key } = JSON.parse(made.stdout) as {
      account_id: string;
      api_key: string;
    };
    const admin: Caller = {
      key: api_key,
      accountId: decodeId('Account', account_id)!,
      userId: '',
      email,
    };
    const renamed = await cli('accounts', 'rename', '--account-id', account_id, '--name', 'Acme');
    expect(renamed.code, renamed.stderr).toBe(0);
    const minted = await cli('api-keys', 'create', '--email', email, '--json');
    expect(minted.code, minted.stderr).toBe(0);
    const minedKey = (JSON.parse(minted.stdout) as { api_key: string }).api_key;

    const [key, rename, bootstrap] = await entries(admin);
    expect(bootstrap).toMatchObject({
      user_id: null,
      ip: null,
      api_key_id: null,
      operation_name: 'bootstrapAccount',
      operation_text: 'cli bootstrap',
      target: { type: 'Account', id: account_id },
    });
    expect(JSON.parse(bootstrap.variables)).toMatchObject({ email, name: 'Ada Admin' });
    expect(rename).toMatchObject({
      operation_name: 'renameAccount',
      operation_text: 'cli accounts rename',
      changes: { before: { name: "Ada Admin's account" }, after: { name: 'Acme' } },
    });
    expect(key).toMatchObject({
      operation_name: 'createApiKey',
      operation_text: 'cli api-keys create',
    });
    expect(key.target.type).toBe('ApiKey');
    const all = JSON.stringify(await entries(admin));
    expect(all).not.toContain(api_key);
    expect(all).not.toContain(minedKey);
  });

  it('an intact chain verifies: exit 0, and the head it ends at', async () => {
    const { account, chain } = await accountWithChanges();
    const run = await verify(account);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`account ${account}: intact`);
    expect(run.stdout).toContain(`head ${chain.at(-1)!.hash}`);
  });

  it('an altered row is reported as altered: exit 1', async () => {
    const { account, admin, chain } = await accountWithChanges();
    const victim = chain[3]!;
    await db()
      .updateTable('audit_entries')
      .set({ operation_name: 'readUser' })
      .where('id', '=', victim.id)
      .execute();
    const run = await verify(account);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`account ${account}: BROKEN`);
    expect(run.stdout).toContain(
      `entry ${globalEntryId(victim.id)} (seq ${victim.seq}) was altered`,
    );
    const reports = await verifyAuditLog(roster.server.deps.db, admin.accountId);
    expect(reports[0]!.findings).toEqual([
      { kind: 'altered', id: victim.id, seq: Number(victim.seq) },
    ]);
  });

  it('a deleted row is reported as removed, and so are the newest ones', async () => {
    const { account, chain } = await accountWithChanges();
    await db().deleteFrom('audit_entries').where('id', '=', chain[2]!.id).execute();
    const run = await verify(account);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `entry ${globalEntryId(chain[3]!.id)} (seq ${chain[3]!.seq}): 1 entry was removed before it`,
    );
    await db().deleteFrom('audit_entries').where('id', '=', chain.at(-1)!.id).execute();
    const again = await verify(account);
    expect(again.stdout).toContain('the newest entries were removed');
  });

  it('reordered rows are reported as reordered', async () => {
    const { account, chain } = await accountWithChanges();
    const [a, b] = [chain[2]!, chain[3]!];
    // Swap their places (seq is unique within the account: through a free one).
    await db()
      .updateTable('audit_entries')
      .set({ seq: 1_000_000 })
      .where('id', '=', a.id)
      .execute();
    await db().updateTable('audit_entries').set({ seq: a.seq }).where('id', '=', b.id).execute();
    await db().updateTable('audit_entries').set({ seq: b.seq }).where('id', '=', a.id).execute();
    const run = await verify(account);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `entry ${globalEntryId(b.id)} (seq ${a.seq}) was reordered: it was chained after entry ${globalEntryId(a.id)} (seq ${b.seq})`,
    );
    expect(run.stdout).toContain(`entry ${globalEntryId(a.id)} (seq ${b.seq}) was reordered`);
    expect(run.stdout).not.toContain('was altered');
  });

  it('without --account-id every account is verified; --json prints one object per account', async () => {
    const run = await cli('audit', 'verify', '--json');
    expect(run.code).toBe(1);
    const reports = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { account_id: string; intact: boolean });
    expect(reports.some((r) => r.intact)).toBe(true);
    expect(reports.some((r) => !r.intact)).toBe(true);
  });

  it('concurrent changes in one account never fork its chain', async () => {
    const { admin } = await accountWithChanges(0);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        roster.api(admin.key, 'POST', '/v2/users', {
          name: `Parallel ${i}`,
          email: uniqueEmail(),
          role: { type: 'predefined', name: 'member' },
          invite_mode: 'none',
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    const [report] = await verifyAuditLog(roster.server.deps.db, admin.accountId);
    expect(report!.findings).toEqual([]);
    expect(report!.entries).toBe(21);
  });

  it('the server chains new entries by itself, soon after they commit, from any process', async () => {
    const { admin } = await accountWithChanges(0);
    const unsealed = () =>
      db()
        .selectFrom('audit_entries')
        .select('id')
        .where('account_id', '=', admin.accountId)
        .where('seq', 'is', null)
        .execute();
    const created = await roster.api(admin.key, 'POST', '/v2/users', {
      name: 'Chained Soon',
      email: uniqueEmail(),
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'none',
    });
    expect(created.status).toBe(201);
    await until(async () => (await unsealed()).length === 0, 'the API change chained');
    // Another process's entry (a command), chained by the server's own round a second later.
    const account = encodeId('Account', admin.accountId);
    const renamed = await cli('accounts', 'rename', '--account-id', account, '--name', 'Later');
    expect(renamed.code, renamed.stderr).toBe(0);
    await until(async () => (await unsealed()).length === 0, 'the command chained', 5000);
    const chain = await db()
      .selectFrom('audit_entries')
      .select(['seq', 'operation_name', 'prev_hash', 'hash'])
      .where('account_id', '=', admin.accountId)
      .orderBy('seq')
      .execute();
    expect(chain.map((e) => [Number(e.seq), e.operation_name])).toEqual([
      [1, 'bootstrapAccount'],
      [2, 'createUser'],
      [3, 'renameAccount'],
    ]);
    expect(chain[2]!.prev_hash).toBe(chain[1]!.hash);
  });

  it('retention removes entries past ROSTER_AUDIT_RETENTION_DAYS in batches; what remains still verifies', async () => {
    const { admin, account, chain } = await accountWithChanges(4);
    roster.clock.advance(366 * DAY);
    const young = await accountWithChanges(0);
    for (let i = 0; i < 3; i++) {
      const patched = await roster.api(admin.key, 'PATCH', `/v2/users/${admin.userId}`, {
        name: `Ada ${i}`,
      });
      expect(patched.status).toBe(200);
    }
    const removed = await pruneAuditLog(roster.server.deps, { batchSize: 2 });
    expect(removed).toBeGreaterThanOrEqual(chain.length);
    const left = await db()
      .selectFrom('audit_entries')
      .select(['seq', 'operation_name'])
      .where('account_id', '=', admin.accountId)
      .orderBy('seq')
      .execute();
    expect(left.map((e) => e.operation_name)).toEqual(['updateUser', 'updateUser', 'updateUser']);
    expect(Number(left[0]!.seq)).toBe(chain.length + 1);
    // The young account's entry is kept.
    expect((await entries(young.admin)).length).toBe(1);

    const run = await verify(account);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`seq ${chain.length + 1} to ${chain.length + 3}`);

    // Removing the oldest remaining entry by hand is not retention: it shows.
    await sql`delete from audit_entries where account_id = ${admin.accountId} and seq = ${chain.length + 1}`.execute(
      db(),
    );
    const cut = await verify(account);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toContain('1 entry was removed before it');
  });

  it('the server runs retention by itself, in batches', async () => {
    const own = await startRoster(database, {
      env: { ROSTER_AUDIT_RETENTION_DAYS: '30' },
      auditRetention: { intervalMs: 50, batchSize: 2 },
    });
    try {
      const admin = await own.newAccount();
      for (let i = 0; i < 4; i++) {
        const patched = await own.api(admin.key, 'PATCH', `/v2/users/${admin.userId}`, {
          name: `Ada ${i}`,
        });
        expect(patched.status).toBe(200);
      }
      const count = async () =>
        Number(
          (
            await own.server.deps.db.kysely
              .selectFrom('audit_entries')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('account_id', '=', admin.accountId)
              .executeTakeFirstOrThrow()
          ).n,
        );
      expect(await count()).toBe(5);
      own.clock.advance(31 * DAY);
      await until(async () => (await count()) === 0, 'the old entries to be removed');
      const [report] = await verifyAuditLog(own.server.deps.db, admin.accountId);
      expect(report).toMatchObject({ entries: 0, prunedSeq: 5, headSeq: 5, findings: [] });
    } finally {
      await own.close();
    }
  });
});
