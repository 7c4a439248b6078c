/**
 * The `roster` command as operators and scripts use it: the built CLI, spawned through
 * bin/roster.js, on a real database; the keys it prints are then used against a real server.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildOnce } from '../support/build.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_KEY_PREFIX } from '../../src/auth/secrets.js';
import { decodeId, encodeId } from '../../src/http/global-id.js';
import { ownDatabase, type OwnDatabase } from '../support/own-database.js';
import { outboxRow } from '../support/outbox.js';
import { eventually } from '../support/wait.js';
import { startIdentityProvider, type IdentityProvider } from '../support/identity-provider.js';
import { newVisitor } from '../self-service/visitor.js';
import {
  describeEachDatabase,
  startRoster,
  tempDir,
  uniqueEmail,
  type TestRoster,
} from '../support/roster.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/roster.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the developer's own ROSTER_* settings, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ROSTER_')),
  );
  return { ...base, ROSTER_DATA_DIR: tempDir('roster-cli-'), ...env };
}

function roster(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running command and resolves once its output matches `ready`. */
function startProcess(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: cleanEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    output: () => stdout,
    errors: () => stderr,
    /** Waits for `pattern` in what the process wrote, on stdout or stderr. */
    async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = stdout.match(pattern) ?? stderr.match(pattern);
        if (match) return match;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no ${pattern} in output:\n${stdout}\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop(): Promise<number | null> {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

beforeAll(buildOnce, 120_000);

describe.concurrent('roster CLI without a database', () => {
  it('roster --help lists every command', async () => {
    const run = await roster(['--help']);
    expect(run.code).toBe(0);
    for (const command of [
      'serve',
      'migrate',
      'bootstrap',
      'api-keys',
      'accounts',
      'users',
      'outbox',
    ]) {
      expect(run.stdout).toContain(command);
    }
  });

  it.each([
    [['serve', '--help'], 'roster serve'],
    [['migrate', '--help'], 'roster migrate'],
    [['bootstrap', '--help'], '--email EMAIL --name NAME'],
    [['api-keys', '--help'], 'create'],
    [['api-keys', 'create', '--help'], '--account-id'],
    [['accounts', 'rename', '--help'], '--account-id'],
    [['users', '--help'], 'password-link'],
    [['users', 'password-link', '--help'], '--account-id'],
    [['outbox', '--help'], '--json'],
  ])('%j prints its usage and exits 0', async (args, expected) => {
    const run = await roster(args);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: roster');
    expect(run.stdout).toContain(expected);
  });

  it('an unknown command, subcommand or option is a usage error: exit 2', async () => {
    const unknown = await roster(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect((await roster(['api-keys', 'delete'])).code).toBe(2);
    expect((await roster(['users', 'delete'])).code).toBe(2);
    const option = await roster(['bootstrap', '--mail', 'a@example.com']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('--mail');
    expect((await roster([])).code).toBe(2);
  });

  it('a missing required option names it: exit 2', async () => {
    const run = await roster(['bootstrap', '--email', 'a@example.com']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--name is required');
    expect(run.stdout).toBe('');
  });

  it('a bad setting is a configuration error naming the variable: exit 2', async () => {
    const run = await roster(['bootstrap', '--email', 'a@example.com', '--name', 'A', '--json'], {
      ROSTER_DATABASE_URL: 'mysql://localhost/roster',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ROSTER_DATABASE_URL');
    expect(run.stdout).toBe('');
    const serve = await roster(['serve'], { PORT: 'eighty' });
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('PORT');
    const ttl = await roster(['migrate'], { ROSTER_INVITATION_TTL: 'a week' });
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toContain('ROSTER_INVITATION_TTL');
  });

  it('an unreachable database is reported clearly: exit 1', async () => {
    const run = await roster(['migrate'], {
      ROSTER_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/roster',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach the database');
  });

  it.skipIf(!inject('postgresUrl'))(
    'an unknown database name is reported as clearly, on one line: exit 1',
    async () => {
      const url = new URL(inject('postgresUrl')!);
      url.pathname = `/roster_missing_${randomBytes(4).toString('hex')}`;
      for (const command of ['migrate', 'serve']) {
        const run = await roster([command], { ROSTER_DATABASE_URL: url.href, PORT: '0' });
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/^roster: cannot reach the database: .*does not exist\n$/);
        expect(run.stdout).toBe('');
      }
    },
  );
});

describeEachDatabase('roster CLI', (database) => {
  let own: OwnDatabase;
  let dbUrl: string;
  let server: TestRoster;

  beforeAll(async () => {
    // Its own database: `roster outbox` lists every row, and no other file's worker may take them.
    own = await ownDatabase(database);
    dbUrl = own.url;
    // Slow retries, so a refused email stays visible as pending to `roster outbox`.
    server = await startRoster(database, {
      env: { ROSTER_DATABASE_URL: dbUrl },
      worker: { backoffBaseMs: 60_000, backoffMaxMs: 60_000 },
    });
  });
  afterAll(async () => {
    await server.close();
    await own.drop();
  });

  const cli = (...args: string[]) => roster(args, { ROSTER_DATABASE_URL: dbUrl });

  async function bootstrap(email = uniqueEmail('admin'), ...extra: string[]) {
    const run = await cli('bootstrap', '--email', email, '--name', 'Ada Admin', '--json', ...extra);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return {
      email,
      ...(JSON.parse(run.stdout) as {
        account_id: string;
        user_id: string;
        api_key: string;
        password_setup_url: string;
      }),
    };
  }

  async function createUser(key: string, email: string, extra: Record<string, unknown> = {}) {
    const response = await server.api(key, 'POST', '/v2/users', {
      name: 'Grace',
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'none',
      ...extra,
    });
    expect(response.status).toBe(201);
    return response.body as { id: string };
  }

  describe('migrate', () => {
    it('brings a new database up to date, and says so when run again', async () => {
      const fresh = await ownDatabase(database);
      try {
        const first = await roster(['migrate'], { ROSTER_DATABASE_URL: fresh.url });
        expect(first.code).toBe(0);
        expect(first.stdout).toMatch(/^Applied \d+ migration\(s\): 0001-initial/);
        const second = await roster(['migrate'], { ROSTER_DATABASE_URL: fresh.url });
        expect(second.code).toBe(0);
        expect(second.stdout).toBe('The database is up to date.\n');
      } finally {
        await fresh.drop();
      }
    });
  });

  describe.concurrent('bootstrap', () => {
    it('--json prints exactly account_id, user_id, api_key and password_setup_url, and the key works', async () => {
      const email = uniqueEmail('admin');
      const run = await cli('bootstrap', '--email', email, '--name', 'Ada Admin', '--json');
      expect(run.code).toBe(0);
      const printed = JSON.parse(run.stdout) as Record<string, string>;
      expect(Object.keys(printed).sort()).toEqual([
        'account_id',
        'api_key',
        'password_setup_url',
        'user_id',
      ]);
      // Links are made on ROSTER_PUBLIC_URL, by default http://HOST:PORT.
      expect(printed.password_setup_url).toMatch(
        /^http:\/\/127\.0\.0\.1:3000\/password\/setup\?token=[\w-]+\.[\w-]+$/,
      );
      expect(run.stdout.trim()).toBe(JSON.stringify(printed));
      expect(decodeId('Account', printed.account_id!)).toBeDefined();
      expect(decodeId('User', printed.user_id!)).toBeDefined();
      expect(printed.api_key!.startsWith(API_KEY_PREFIX)).toBe(true);

      const me = await server.api(printed.api_key, 'GET', `/v2/users/${printed.user_id}`);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        id: printed.user_id,
        email,
        name: 'Ada Admin',
        status: 'active',
        role: { type: 'predefined', name: 'admin' },
        is_developer: true,
      });
    });

    it('refuses an email that already administers an account, naming it: exit 1', async () => {
      const email = uniqueEmail('admin');
      const first = await bootstrap(email);
      const again = await cli(
        'bootstrap',
        '--email',
        email.toUpperCase(),
        '--name',
        'Ada',
        '--json',
      );
      expect(again.code).toBe(1);
      expect(again.stdout).toBe('');
      expect(again.stderr).toContain(first.account_id);
      expect(again.stderr).toContain('--another-account');
      // The email still gets a key, from the one account it administers.
      const key = await cli('api-keys', 'create', '--email', email, '--json');
      expect(key.code).toBe(0);
      expect(JSON.parse(key.stdout).account_id).toBe(first.account_id);
    });

    it('makes another account for the same email when asked explicitly', async () => {
      const email = uniqueEmail('admin');
      const first = await bootstrap(email);
      const second = await bootstrap(email, '--another-account');
      expect(second.account_id).not.toBe(first.account_id);
      expect(second.user_id).not.toBe(first.user_id);
      for (const made of [first, second]) {
        const list = await server.api(made.api_key, 'GET', '/v2/users');
        expect(list.status).toBe(200);
        expect(list.body.users.map((u: { id: string }) => u.id)).toEqual([made.user_id]);
      }
    });

    it('works on a brand-new database, creating its schema first', async () => {
      const fresh = await ownDatabase(database);
      try {
        const url =
          database === 'sqlite'
            ? fresh.url.replace(/roster\.db$/, 'not/yet/there/roster.db')
            : fresh.url;
        const run = await roster(
          ['bootstrap', '--email', uniqueEmail('admin'), '--name', 'Ada', '--json'],
          { ROSTER_DATABASE_URL: url },
        );
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        expect(Object.keys(JSON.parse(run.stdout)).sort()).toEqual([
          'account_id',
          'api_key',
          'password_setup_url',
          'user_id',
        ]);
        const migrate = await roster(['migrate'], { ROSTER_DATABASE_URL: url });
        expect(migrate.stdout).toContain('up to date');
      } finally {
        await fresh.drop();
      }
    });

    it('without --json tells a person what was made and shows the key once', async () => {
      const email = uniqueEmail('admin');
      const run = await cli('bootstrap', '--email', email, '--name', 'Ada', '--account', 'Acme');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('"Acme"');
      expect(run.stdout).toContain(email);
      const key = run.stdout.match(/API key \(shown once, keep it safe\): (\S+)/)?.[1];
      expect((await server.api(key, 'GET', '/v2/users')).status).toBe(200);
      expect(run.stdout).toMatch(
        /Set the password \(one-time link, valid 24 hours, until \S+Z\): http:\/\/127\.0\.0\.1:3000\/password\/setup\?token=\S+\n/,
      );
    });

    it('an invalid email or name is refused with a clear message: exit 1', async () => {
      const email = await cli('bootstrap', '--email', 'not-an-email', '--name', 'A', '--json');
      expect(email.code).toBe(1);
      expect(email.stderr).toContain('email must contain @');
      expect(email.stdout).toBe('');
      const name = await cli('bootstrap', '--email', uniqueEmail(), '--name', '   ');
      expect(name.code).toBe(2);
    });
  });

  describe.concurrent('api-keys create', () => {
    it('mints a key for an existing developer in the given account; same JSON shape', async () => {
      const admin = await bootstrap();
      const email = uniqueEmail('member');
      const member = await createUser(admin.api_key, email);
      const run = await cli(
        'api-keys',
        'create',
        '--email',
        email.toUpperCase(),
        '--account-id',
        admin.account_id,
        '--json',
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const printed = JSON.parse(run.stdout) as Record<string, string>;
      expect(Object.keys(printed).sort()).toEqual(['account_id', 'api_key', 'user_id']);
      expect(printed).toMatchObject({ account_id: admin.account_id, user_id: member.id });
      // The key acts as the member: may read, may not create.
      expect((await server.api(printed.api_key, 'GET', `/v2/users/${member.id}`)).status).toBe(200);
      const create = await server.api(printed.api_key, 'POST', '/v2/users', {
        name: 'X',
        email: uniqueEmail(),
        role: { type: 'predefined', name: 'member' },
        invite_mode: 'none',
      });
      expect(create.status).toBe(403);
    });

    it('finds the only account with that email when --account-id is left out', async () => {
      const admin = await bootstrap();
      const run = await cli('api-keys', 'create', '--email', admin.email, '--json');
      expect(run.code).toBe(0);
      const printed = JSON.parse(run.stdout) as Record<string, string>;
      expect(printed).toMatchObject({ account_id: admin.account_id, user_id: admin.user_id });
      expect(printed.api_key).not.toBe(admin.api_key);
    });

    it('asks for --account-id when several accounts have that email: exit 1', async () => {
      const email = uniqueEmail('admin');
      const first = await bootstrap(email);
      await bootstrap(email, '--another-account');
      const run = await cli('api-keys', 'create', '--email', email, '--json');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('--account-id');
      expect(run.stdout).toBe('');
      const chosen = await cli(
        'api-keys',
        'create',
        '--email',
        email,
        '--account-id',
        first.account_id,
        '--json',
      );
      expect(JSON.parse(chosen.stdout).user_id).toBe(first.user_id);
    });

    it('an unknown email is refused: exit 1', async () => {
      const run = await cli('api-keys', 'create', '--email', uniqueEmail('nobody'), '--json');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('No user with email');
      expect(run.stdout).toBe('');
    });

    it('an --account-id that is not an account id is refused clearly: exit 1', async () => {
      const admin = await bootstrap();
      for (const accountId of ['nope', admin.user_id]) {
        const run = await cli(
          'api-keys',
          'create',
          '--email',
          admin.email,
          '--account-id',
          accountId,
        );
        expect(run.code).toBe(1);
        expect(run.stderr).toContain('is not an account id');
      }
    });

    it('the email in another account is not found with this --account-id: exit 1', async () => {
      const admin = await bootstrap();
      const other = await bootstrap();
      const run = await cli(
        'api-keys',
        'create',
        '--email',
        admin.email,
        '--account-id',
        other.account_id,
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('No user with email');
    });

    it('refuses a non-developer, an invited user and a deleted user: exit 1', async () => {
      const admin = await bootstrap();
      const annotator = uniqueEmail('annotator');
      await createUser(admin.api_key, annotator, {
        role: { type: 'predefined', name: 'annotator' },
      });
      const invited = uniqueEmail('invited');
      await createUser(admin.api_key, invited, { invite_mode: 'temporary_password' });
      const deleted = uniqueEmail('deleted');
      const gone = await createUser(admin.api_key, deleted);
      await server.api(admin.api_key, 'DELETE', `/v2/users/${gone.id}`);

      const runFor = (email: string) =>
        cli('api-keys', 'create', '--email', email, '--account-id', admin.account_id, '--json');
      const notDeveloper = await runFor(annotator);
      expect(notDeveloper.code).toBe(1);
      expect(notDeveloper.stderr).toContain('not a developer');
      const notActive = await runFor(invited);
      expect(notActive.code).toBe(1);
      expect(notActive.stderr).toContain('not finished registration');
      const notThere = await runFor(deleted);
      expect(notThere.code).toBe(1);
      expect(notThere.stderr).toContain('No user with email');
    });
  });

  describe.concurrent('users password-link', () => {
    /** The link's path and query, opened on the suite's server (which shares the database). */
    const onServer = (url: string) => {
      const link = new URL(url);
      return link.pathname + link.search;
    };

    async function setPassword(url: string) {
      const browser = newVisitor(server.url);
      const page = await browser.get(onServer(url));
      expect(page.status).toBe(200);
      const password = `Quiet-Lantern-${randomBytes(4).toString('hex')}`;
      const done = await browser.post('/password/setup', {
        token: new URL(url).searchParams.get('token')!,
        password,
        confirmation: password,
      });
      expect(done.status).toBe(303);
      return password;
    }

    async function signsIn(email: string, password: string) {
      const browser = newVisitor(server.url);
      await browser.get('/login');
      return (await browser.post('/login', { email, password })).location === '/account';
    }

    it("bootstrap's link lets the new admin set a password and sign in to a page", async () => {
      const admin = await bootstrap();
      const password = await setPassword(admin.password_setup_url);
      expect(await signsIn(admin.email, password)).toBe(true);
      expect((await newVisitor(server.url).get(onServer(admin.password_setup_url))).status).toBe(
        410,
      );
    });

    it('prints a fresh link for an active user; the previous unused one stops working', async () => {
      const admin = await bootstrap();
      const run = await cli(
        'users',
        'password-link',
        '--email',
        admin.email.toUpperCase(),
        '--account-id',
        admin.account_id,
        '--json',
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const printed = JSON.parse(run.stdout) as Record<string, string>;
      expect(Object.keys(printed).sort()).toEqual([
        'account_id',
        'expires_at',
        'password_setup_url',
        'user_id',
      ]);
      expect(printed).toMatchObject({ account_id: admin.account_id, user_id: admin.user_id });
      const hours = (Date.parse(printed.expires_at!) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(23.9);
      expect(hours).toBeLessThanOrEqual(24);
      expect((await newVisitor(server.url).get(onServer(admin.password_setup_url))).status).toBe(
        410,
      );
      const password = await setPassword(printed.password_setup_url!);
      expect(await signsIn(admin.email, password)).toBe(true);

      // For a person, the link and what it is for; on ROSTER_PUBLIC_URL.
      const text = await roster(['users', 'password-link', '--email', admin.email], {
        ROSTER_DATABASE_URL: dbUrl,
        ROSTER_PUBLIC_URL: 'https://roster.example.com',
      });
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(admin.user_id);
      expect(text.stdout).toMatch(
        /Set the password \(one-time link, valid 24 hours, until \S+Z\): https:\/\/roster\.example\.com\/password\/setup\?token=\S+\n/,
      );
    });

    it('works for any active user, an SSO-only member too', async () => {
      const admin = await bootstrap();
      const email = uniqueEmail('member');
      await createUser(admin.api_key, email);
      const run = await cli('users', 'password-link', '--email', email, '--json');
      expect(run.code).toBe(0);
      const password = await setPassword(JSON.parse(run.stdout).password_setup_url);
      expect(await signsIn(email, password)).toBe(true);
    });

    it('refuses an unknown, deleted or unregistered user, and an ambiguous email: exit 1 with words', async () => {
      const admin = await bootstrap();
      const invited = uniqueEmail('invited');
      await createUser(admin.api_key, invited, { invite_mode: 'email_link' });
      const deleted = uniqueEmail('deleted');
      const gone = await createUser(admin.api_key, deleted);
      await server.api(admin.api_key, 'DELETE', `/v2/users/${gone.id}`);
      const shared = uniqueEmail('admin');
      await bootstrap(shared);
      await bootstrap(shared, '--another-account');

      const cases: Array<[string, string]> = [
        [uniqueEmail('nobody'), 'No user with email'],
        [deleted, 'was deleted'],
        [invited, 'has not finished registration'],
        [shared, '--account-id'],
      ];
      for (const [email, words] of cases) {
        const run = await cli('users', 'password-link', '--email', email);
        expect(run.code, email).toBe(1);
        expect(run.stderr).toContain(words);
        expect(run.stdout).toBe('');
      }
      const missing = await cli('users', 'password-link');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--email is required');
    });
  });

  describe.concurrent('accounts rename', () => {
    it('renames the account invitees see, and refuses a bad name or an unknown account', async () => {
      const admin = await bootstrap();
      const run = await cli(
        'accounts',
        'rename',
        '--account-id',
        admin.account_id,
        '--name',
        ' Acme ',
        '--json',
      );
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ account_id: admin.account_id, name: 'Acme' });
      const row = await server.server.deps.db.kysely
        .selectFrom('accounts')
        .select('name')
        .where('id', '=', decodeId('Account', admin.account_id)!)
        .executeTakeFirstOrThrow();
      expect(row.name).toBe('Acme');

      const blank = await cli(
        'accounts',
        'rename',
        '--account-id',
        admin.account_id,
        '--name',
        '\u202e',
      );
      expect(blank.code).toBe(1);
      const unknown = await cli(
        'accounts',
        'rename',
        '--account-id',
        encodeId('Account', '01KAXZ6Y3T0000000000000000'),
        '--name',
        'X',
      );
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('No account');
    });
  });

  describe('sso', () => {
    let idp: IdentityProvider;
    beforeAll(async () => {
      idp = await startIdentityProvider({
        clients: [
          {
            client_id: 'roster',
            client_secret: 'cli-client-secret-4321',
            redirect_uris: ['http://127.0.0.1:3000/sso/callback'],
          },
        ],
      });
    });
    afterAll(async () => {
      await idp?.close();
    });

    it('set, show and remove do what /v2/sso does; the secret comes from the environment', async () => {
      const admin = await bootstrap();
      const withSecret = {
        ROSTER_DATABASE_URL: dbUrl,
        ROSTER_SSO_CLIENT_SECRET: 'cli-client-secret-4321',
      };
      const account = ['--account-id', admin.account_id];
      const set = await roster(
        [
          'sso',
          'set',
          ...account,
          '--issuer',
          idp.issuer,
          '--client-id',
          'roster',
          '--enforced',
          '--json',
        ],
        withSecret,
      );
      expect(set.stderr).toBe('');
      expect(set.code).toBe(0);
      expect(set.stdout).not.toContain('cli-client-secret-4321');
      const printed = JSON.parse(set.stdout) as Record<string, unknown>;
      expect(printed).toMatchObject({
        account_id: admin.account_id,
        issuer: idp.issuer,
        client_id: 'roster',
        client_secret_last4: '4321',
        enforced: true,
        redirect_uri: 'http://127.0.0.1:3000/sso/callback',
      });
      const api = await server.api(admin.api_key, 'GET', '/v2/sso');
      expect(api.status).toBe(200);
      expect(api.body).toMatchObject({
        issuer: idp.issuer,
        client_secret_last4: '4321',
        enforced: true,
      });

      const shown = await cli('sso', 'show', ...account);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain('...4321');
      expect(shown.stdout).not.toContain('cli-client-secret-4321');

      const removed = await cli('sso', 'remove', ...account);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toContain('Removed');
      expect((await server.api(admin.api_key, 'GET', '/v2/sso')).status).toBe(404);
      const none = await cli('sso', 'show', ...account);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('no single sign-on provider');

      // Setting and removing are the operator's audit entries; showing changes nothing.
      const audit = await server.api(admin.api_key, 'GET', '/v2/audit-logs?limit=3');
      const [removal, setting] = audit.body.logs;
      expect(removal).toMatchObject({
        operation_name: 'deleteSso',
        operation_text: 'cli sso remove',
      });
      expect(setting).toMatchObject({ operation_name: 'setSso', operation_text: 'cli sso set' });
      expect([removal.user_id, setting.user_id]).toEqual([null, null]);
      expect(JSON.stringify(audit.body)).not.toContain('cli-client-secret-4321');
    });

    it('an issuer that cannot be discovered, a missing secret or an unknown account is refused', async () => {
      const admin = await bootstrap();
      const account = ['--account-id', admin.account_id];
      const unreachable = await roster(
        ['sso', 'set', ...account, '--issuer', 'http://127.0.0.1:9', '--client-id', 'roster'],
        { ROSTER_DATABASE_URL: dbUrl, ROSTER_SSO_CLIENT_SECRET: 'x-secret' },
      );
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain('Discovery of the issuer http://127.0.0.1:9 failed');
      const noSecret = await cli(
        'sso',
        'set',
        ...account,
        '--issuer',
        idp.issuer,
        '--client-id',
        'roster',
      );
      expect(noSecret.code).toBe(2);
      expect(noSecret.stderr).toContain('ROSTER_SSO_CLIENT_SECRET');
      const unknown = await cli(
        'sso',
        'show',
        '--account-id',
        encodeId('Account', '01KAXZ6Y3T0000000000000000'),
      );
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('No account');
      expect((await server.api(admin.api_key, 'GET', '/v2/sso')).status).toBe(404);
    });
  });

  describe('outbox', () => {
    it('lists pending and dead email with attempts and last error, never a link or token', async () => {
      const admin = await bootstrap();
      const retried = uniqueEmail('later');
      const refused = uniqueEmail('never');
      const delivered = uniqueEmail('fine');
      server.smtp.onMessage = (session) => {
        const to = session.envelope.rcptTo.map((r) => r.address).join();
        if (to === retried)
          return Object.assign(new Error('Try again later'), { responseCode: 451 });
        if (to === refused)
          return Object.assign(new Error('No such mailbox'), { responseCode: 550 });
        return undefined;
      };
      try {
        for (const email of [retried, refused, delivered]) {
          await createUser(admin.api_key, email, { invite_mode: 'email_link' });
        }
        await server.smtp.waitFor((m) => m.to.includes(delivered));
        await waitForAttempts(server, [retried, refused]);
      } finally {
        server.smtp.onMessage = undefined;
      }

      const run = await cli('outbox', '--json');
      expect(run.code).toBe(0);
      const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
      const mine = rows;
      expect(mine.map((row) => row.recipient).sort()).toEqual([retried, refused].sort());
      const pending = mine.find((row) => row.recipient === retried)!;
      expect(Object.keys(pending).sort()).toEqual([
        'attempts',
        'created_at',
        'id',
        'last_error',
        'next_attempt_at',
        'recipient',
        'status',
        'template',
      ]);
      expect(pending).toMatchObject({ template: 'invitation', status: 'pending', attempts: 1 });
      expect(pending.last_error).toContain('451');
      expect(Date.parse(pending.next_attempt_at as string)).toBeGreaterThan(Date.now());
      const dead = mine.find((row) => row.recipient === refused)!;
      expect(dead).toMatchObject({ status: 'dead', attempts: 1 });
      expect(dead.last_error).toContain('550');

      const text = await cli('outbox');
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/ID\s+TEMPLATE\s+RECIPIENT\s+STATUS\s+ATTEMPTS\s+NEXT ATTEMPT/);
      expect(text.stdout).toContain(retried);
      expect(text.stdout).not.toContain(delivered);
      for (const output of [run.stdout, text.stdout]) {
        expect(output).not.toMatch(/token|https?:\/\//i);
        expect(output).not.toContain(server.server.deps.serverSecret);
      }
    });

    it('--limit must be a positive whole number: exit 2', async () => {
      expect((await cli('outbox', '--limit', 'all')).code).toBe(2);
    });
  });

  describe('serve', () => {
    it('serves the API until SIGTERM, then exits 0', async () => {
      const env = {
        ROSTER_DATABASE_URL: dbUrl,
        HOST: '127.0.0.1',
        PORT: '0',
        ROSTER_API_RATE_LIMIT: '0',
      };
      const process = startProcess(BIN, ['serve'], env);
      const [, url] = await process.waitFor(/listening on (http:\/\/[\d.:]+)/);
      const admin = await bootstrap();
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const users = await fetch(`${url}/v2/users`, {
        headers: { authorization: `Bearer ${admin.api_key}` },
      });
      expect(users.status).toBe(200);
      expect(await process.stop()).toBe(0);
    });

    it('SIGTERM under load: requests in flight finish, none is cut, no email is lost', async () => {
      const process = startProcess(BIN, ['serve'], {
        ROSTER_DATABASE_URL: dbUrl,
        HOST: '127.0.0.1',
        PORT: '0',
        ROSTER_API_RATE_LIMIT: '0',
      });
      const [, url] = await process.waitFor(/listening on (http:\/\/[\d.:]+)/);
      const admin = await bootstrap();
      const emails = Array.from({ length: 80 }, () => uniqueEmail('load'));
      let answered = 0;
      const outcomes = emails.map((email, i) =>
        new Promise((resolve) => setTimeout(resolve, i * 3))
          .then(() =>
            fetch(`${url}/v2/users`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${admin.api_key}`,
                'content-type': 'application/json',
                // A connection per request: one refused before it starts is not one cut.
                connection: 'close',
              },
              body: JSON.stringify({
                name: 'Load',
                email,
                role: { type: 'predefined', name: 'member' },
                invite_mode: 'email_link',
              }),
            }),
          )
          .then(
            async (response) => {
              answered++;
              await response.body?.cancel();
              return response.status;
            },
            (error: { cause?: { code?: string } }) => `error ${error.cause?.code ?? String(error)}`,
          ),
      );
      // SIGTERM once the load is under way.
      await eventually(async () => (answered >= 10 ? true : undefined), 'ten answers');
      const exited = process.stop();
      const results = await Promise.all(outcomes);
      expect(await exited).toBe(0);
      for (const result of results) {
        expect([201, 503, 'error ECONNREFUSED', 'error ECONNRESET']).toContain(result);
      }
      const created = emails.filter((_, i) => results[i] === 201);
      expect(created.length).toBeGreaterThanOrEqual(10);
      // A request that got no answer was never started (refused, or reset while it still
      // waited to be accepted): none was cut after it had changed something.
      const unanswered = emails.filter((_, i) => typeof results[i] === 'string');
      if (unanswered.length > 0) {
        const written = await server.server.deps.db.kysely
          .selectFrom('users')
          .select('email')
          .where('email', 'in', unanswered)
          .execute();
        expect(written).toEqual([]);
      }
      // Each created user's invitation goes out (the suite's server shares the database).
      for (const email of created) {
        await outboxRow(server.server.deps, email, (row) => row.status === 'sent', `${email} sent`);
      }
    });

    if (database === 'sqlite') {
      it('npm start (dist/main.js) on an empty database prints an admin key and a curl line that works', async () => {
        const empty = `sqlite:${path.join(tempDir(), 'empty.db')}`;
        const process = startProcess(path.join(ROOT, 'dist/main.js'), [], {
          ROSTER_DATABASE_URL: empty,
          HOST: '127.0.0.1',
          PORT: '0',
          ROSTER_ACCOUNT_NAME: 'Acme Research',
        });
        const [, key, url] = await process.waitFor(
          /curl -H "Authorization: Bearer (\S+)" (http:\/\/\S+\/v2\/users)/,
        );
        // The banner (stderr) comes before the start-up log line (stdout): wait for both.
        await process.waitFor(/"msg":"Roster [^"]* started"/);
        // Not a terminal: stdout is JSON log lines only, and the banner goes to stderr.
        const banner = process.errors();
        expect(banner).toContain('admin@example.com');
        expect(banner).toContain('created the account "Acme Research"');
        expect(banner).toContain('npx roster api-keys create --email admin@example.com');
        expect(banner).toContain('npx roster users password-link --email admin@example.com');
        // The admin's one-time link to set a password, on the address the server listens on.
        const setup = banner.match(
          /Set the password \(one-time link, valid 24 hours, until \S+Z\): (http:\/\/\S+)/,
        )?.[1];
        expect(setup).toBeDefined();
        expect(new URL(setup!).origin).toBe(new URL(url!).origin);
        const setupPage = await fetch(setup!);
        expect(setupPage.status).toBe(200);
        expect(await setupPage.text()).toContain('admin@example.com');
        expect(process.output()).not.toContain(new URL(setup!).searchParams.get('token')!);
        const lines = process.output().trim().split('\n');
        for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
        expect(process.output()).not.toContain(key!);
        const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
        expect(logged.filter((l) => /listening/.test(String(l.msg)))).toHaveLength(1);
        expect(logged.find((l) => String(l.msg).includes('started'))).toMatchObject({
          version: expect.any(String),
          database: empty,
          publicUrl: expect.stringMatching(/^http:\/\//),
          email: expect.stringMatching(/mail$/),
        });
        const response = await fetch(url!, { headers: { authorization: `Bearer ${key}` } });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { users: { email: string }[] };
        expect(body.users.map((u) => u.email)).toEqual(['admin@example.com']);
        expect(await process.stop()).toBe(0);
      });
    }
  });
});

/** Waits until each recipient's outbox row has been tried at least once. */
async function waitForAttempts(server: TestRoster, recipients: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await server.server.deps.db.kysely
      .selectFrom('outbox')
      .select(['recipient', 'attempts', 'status'])
      .where('recipient', 'in', recipients)
      .execute();
    const tried = rows.filter((row) => Number(row.attempts) >= 1 && row.status !== 'processing');
    if (tried.length === recipients.length) return;
    if (Date.now() > deadline) throw new Error(`outbox rows not tried: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('roster mail', () => {
  let server: TestRoster;
  const env = () => ({ ROSTER_DATA_DIR: server.dataDir });

  beforeAll(async () => {
    // No SMTP: the server writes each email to <data>/mail, where `roster mail` reads it.
    server = await startRoster('sqlite', { env: { ROSTER_SMTP_URL: '' } });
  });
  afterAll(() => server.close());

  async function invite(email: string, name: string): Promise<void> {
    const admin = await server.newAccount();
    const created = await server.api(admin.key, 'POST', '/v2/users', {
      name,
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'email_link',
    });
    expect(created.status).toBe(201);
    await outboxRow(server.server.deps, email, (row) => row.status === 'sent', `${email} sent`);
  }

  it('lists recent email and prints the most recent decoded, its link whole; --to and --last choose', async () => {
    const first = uniqueEmail('first');
    const second = uniqueEmail('second');
    await invite(first, 'Zoë First');
    await invite(second, 'Sam Second');

    const all = await roster(['mail'], env());
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    const [header, ...rest] = all.stdout.split('\n');
    expect(header).toMatch(/^TIME\s+TO\s+SUBJECT\s+FILE$/);
    const listed = rest.slice(0, 2);
    expect(listed[0]).toContain(first);
    expect(listed[1]).toContain(second);
    expect(listed[1]).toMatch(
      /\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z_second-\w+@example\.com\.eml$/,
    );
    // The most recent is printed decoded: its headers, its text, its link on a line of its own.
    expect(all.stdout).toContain(`To:      ${second}`);
    expect(all.stdout).toContain('Hello Sam Second,');
    const link = all.stdout.match(/^http:\/\/roster\.test\/invitations\/accept\?token=\S+$/m)?.[0];
    expect(link).toBeDefined();
    expect(all.stdout).not.toMatch(/=3D|=\n/);

    const only = await roster(['mail', '--to', first.toUpperCase()], env());
    expect(only.code).toBe(0);
    expect(only.stdout).not.toContain(second);
    expect(only.stdout).toContain('Hello Zoë First,');
    expect(only.stdout).toContain(`To:      ${first}`);

    const one = await roster(['mail', '--last', '1'], env());
    expect(one.code).toBe(0);
    expect(one.stdout).not.toContain(first);
    expect(one.stdout).toContain(second);
  });

  it('no email to that address is exit 1; a bad --last or an empty --to is a usage error: exit 2', async () => {
    const none = await roster(['mail', '--to', uniqueEmail('nobody')], env());
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no email to');
    expect(none.stdout).toBe('');
    const empty = await roster(['mail'], { ROSTER_DATA_DIR: tempDir('roster-no-mail-') });
    expect(empty.code).toBe(1);
    expect((await roster(['mail', '--last', '0'], env())).code).toBe(2);
    expect((await roster(['mail', '--last', 'all'], env())).code).toBe(2);
    expect((await roster(['mail', '--to', ' '], env())).code).toBe(2);
    expect((await roster(['--help'])).stdout).toMatch(/^ {2}mail {2,}/m);
    const help = await roster(['mail', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: roster mail [--to EMAIL] [--last N]');
    expect(help.stdout).toContain('most recent');
  });
});
