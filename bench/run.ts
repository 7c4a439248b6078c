/**
 * `npm run bench [-- --quick] [--only <text>[|<text>...]] [--databases sqlite,postgres] [--users <n>]
 *   [--audit-entries <n>]
 *   [--warmup <s>] [--warmup-responses <n>] [--warmup-max <s>] [--profile]
 *   [--server-node-options "<node options>"]`
 *
 * For each database: a temporary database seeded with an account of a million users (a
 * hundred thousand with --quick) and one of 1,000; Roster from its production build, the
 * bare Fastify baseline server (bare routes, and the same-work routes on Roster's database)
 * and Better Auth on a database of its own with 1,000 users, each a separate process; load
 * over loopback from autocannon in this process. Each scenario is warmed up, then measured
 * in slices that take turns with its baseline (baseline, Roster, baseline, Roster...), so that
 * both see the same machine even when something else runs on it; ratios are the median of
 * the slices' ratios. Prints one table and each target with PASS or FAIL; exits non-zero
 * only when a request that should succeed did not (a missed target is not an error).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import SqliteDatabase from 'better-sqlite3';
import type { RequestSpec } from 'autocannon';
import { combine, median, requestsPerSecond, runSlice, type Slice } from './load.js';
import {
  busySeconds,
  cpuSeconds,
  freePort,
  sampleRss,
  startService,
  type Service,
} from './processes.js';
import { summariseProfile } from './profile.js';
import { notes, table, targets, type DatabaseName, type Row } from './report.js';
import {
  BASELINES,
  SCENARIOS,
  type BaselineName,
  type Scenario,
  type ScenarioContext,
} from './scenarios.js';
import type { SeedResult } from './seed.js';
import type { BetterAuthSeed } from './better-auth-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

interface Settings {
  quick: boolean;
  users: number;
  /** Audit entries in the large account, seeded when an audit-log scenario runs. */
  auditEntries: number;
  /** The warm-up: see warmUp. */
  warmupSeconds: number;
  warmupResponses: number;
  warmupStepSeconds: number;
  warmupMaxSeconds: number;
  sliceSeconds: number;
  slices: number;
  connections: number;
  databases: DatabaseName[];
  only: string | undefined;
  profile: boolean;
  /** Extra node options for the Roster process (experiments: GC flags, --import a probe). */
  serverNodeOptions: string[];
  postgresAdminUrl: string;
}

function settingsFrom(argv: string[]): Settings {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const quick = flag('quick');
  return {
    quick,
    users: Number(value('users') ?? (quick ? 100_000 : 1_000_000)),
    auditEntries: Number(value('audit-entries') ?? (quick ? 100_000 : 1_000_000)),
    warmupSeconds: Number(value('warmup') ?? (quick ? 0.5 : 2)),
    warmupResponses: Number(value('warmup-responses') ?? (quick ? 0 : 20_000)),
    warmupStepSeconds: quick ? 0.5 : 1,
    warmupMaxSeconds: Number(value('warmup-max') ?? (quick ? 0.5 : 5)),
    sliceSeconds: Number(value('slice') ?? (quick ? 0.75 : 2)),
    slices: Number(value('slices') ?? (quick ? 2 : 4)),
    connections: Number(value('connections') ?? 10),
    databases: (value('databases') ?? 'sqlite,postgres').split(',') as DatabaseName[],
    only: value('only'),
    profile: flag('profile'),
    serverNodeOptions: (value('server-node-options') ?? '').split(' ').filter(Boolean),
    postgresAdminUrl:
      process.env.ROSTER_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** What the README records about the machine. */
function machine(): string {
  const meminfo = fs.readFileSync('/proc/meminfo', 'utf8');
  const totalKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} cores (${cpu}), ${(totalKb / 1024 / 1024).toFixed(1)} GiB memory, Node ${process.version}, ${os.type()} ${os.release()}`;
}

interface Database {
  name: DatabaseName;
  url: string;
  baselineUrl: string;
  /** Better Auth's own database, of the same engine. */
  betterAuthUrl: string;
  /**
   * After a scenario that writes: what it left behind is written out before the next scenario
   * starts, so that the next one is not measured while the database still works for the last.
   * SQLite's WAL is copied into the database files (`wal_checkpoint(TRUNCATE)`); PostgreSQL
   * runs a `CHECKPOINT`, then the run waits for autovacuum workers on its databases to finish.
   */
  settle(): Promise<void>;
  drop(): Promise<void>;
}

/** The longest a database's settle (see Database) waits for locks or autovacuum. */
const SETTLE_MAX_MS = 60_000;

async function createDatabase(
  name: DatabaseName,
  dir: string,
  settings: Settings,
): Promise<Database> {
  if (name === 'sqlite') {
    return {
      name,
      url: `sqlite:${path.join(dir, 'roster.db')}`,
      baselineUrl: `sqlite:${path.join(dir, 'baseline.db')}`,
      betterAuthUrl: `sqlite:${path.join(dir, 'better-auth.db')}`,
      async settle() {
        for (const file of ['roster.db', 'better-auth.db']) {
          if (!fs.existsSync(path.join(dir, file))) continue;
          const db = new SqliteDatabase(path.join(dir, file));
          try {
            db.pragma(`busy_timeout = ${SETTLE_MAX_MS}`);
            db.pragma('wal_checkpoint(TRUNCATE)');
          } finally {
            db.close();
          }
        }
      },
      drop: async () => {},
    };
  }
  const database = `roster_bench_${randomBytes(4).toString('hex')}`;
  const databases = [database, `${database}_better_auth`];
  const admin = new pg.Client({ connectionString: settings.postgresAdminUrl });
  await admin.connect();
  for (const d of databases) await admin.query(`create database ${d}`);
  await admin.end();
  const urlOf = (d: string) => {
    const url = new URL(settings.postgresAdminUrl);
    url.pathname = `/${d}`;
    return url.toString();
  };
  return {
    name,
    url: urlOf(database),
    baselineUrl: urlOf(database),
    betterAuthUrl: urlOf(databases[1]!),
    async settle() {
      const client = new pg.Client({ connectionString: settings.postgresAdminUrl });
      await client.connect();
      try {
        await client.query('checkpoint');
        const until = Date.now() + SETTLE_MAX_MS;
        while (Date.now() < until) {
          const { rows } = await client.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
              where backend_type = 'autovacuum worker' and datname = any($1)`,
            [databases],
          );
          if (rows[0]!.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } finally {
        await client.end();
      }
    },
    async drop() {
      const client = new pg.Client({ connectionString: settings.postgresAdminUrl });
      await client.connect();
      for (const d of databases) await client.query(`drop database if exists ${d} with (force)`);
      await client.end();
    },
  };
}

/** Runs a script in a child process (so databases can be seeded at once); its last JSON line. */
function runChild<T>(what: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${what} failed:\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as T);
    });
  });
}

function seedDatabase(
  database: Database,
  users: number,
  dir: string,
  auditEntries: number,
): Promise<SeedResult> {
  return runChild(`seeding ${database.name}`, [
    path.join(here, 'seed.ts'),
    database.url,
    String(users),
    dir,
    String(PEER_USERS),
    String(auditEntries),
  ]);
}

/** Better Auth's migrations and users, through its own API (better-auth-server.ts). */
function seedBetterAuth(database: Database): Promise<BetterAuthSeed> {
  return runChild(
    `seeding Better Auth on ${database.name}`,
    [path.join(here, 'better-auth-server.ts'), 'seed', String(PEER_USERS)],
    { BETTER_AUTH_DATABASE_URL: database.betterAuthUrl },
  );
}

/** Users in Better Auth, and in the Roster account compared with it. */
const PEER_USERS = 1000;

/** The arguments of package.json's start script after `node`. */
function startScript(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [node, ...args] = pkg.scripts.start.split(' ');
  if (node !== 'node') throw new Error(`the start script does not start with node: ${node}`);
  return args;
}

async function startRoster(
  database: Database,
  dir: string,
  settings: Settings,
  profileDir: string,
): Promise<Service> {
  const port = await freePort();
  return startService({
    name: `Roster on ${database.name}`,
    args: [
      ...(settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...settings.serverNodeOptions,
      // As `npm start` starts it: its Node options (the heap's bound), then dist/main.js.
      ...startScript(),
    ],
    env: {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      ROSTER_DATABASE_URL: database.url,
      ROSTER_DATA_DIR: dir,
      ROSTER_LOG_LEVEL: 'warn',
      ROSTER_API_RATE_LIMIT: '0',
      ROSTER_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ROSTER_SECRET: BENCH_SECRET,
    },
    port,
    readyPath: '/healthz',
  });
}

/** The server secret of the run: Roster signs its cursors with it, and the baseline does too. */
const BENCH_SECRET = randomBytes(32).toString('base64url');

async function startBaseline(
  database: Database,
  settings: Settings,
  profileDir: string,
): Promise<Service> {
  const port = await freePort();
  return startService({
    name: `bare Fastify on ${database.name}`,
    args: [
      ...(settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/baseline`] : []),
      '--import',
      'tsx',
      path.join(here, 'baseline-server.ts'),
    ],
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      BASELINE_DATABASE_URL: database.baselineUrl,
      BASELINE_ROSTER_URL: database.url,
      BASELINE_SECRET: BENCH_SECRET,
    },
    port,
    readyPath: '/read',
  });
}

async function startBetterAuth(
  database: Database,
  settings: Settings,
  profileDir: string,
): Promise<Service> {
  const port = await freePort();
  return startService({
    name: `Better Auth on ${database.name}`,
    args: [
      ...(settings.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/better-auth`] : []),
      '--import',
      'tsx',
      path.join(here, 'better-auth-server.ts'),
    ],
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      BETTER_AUTH_DATABASE_URL: database.betterAuthUrl,
    },
    port,
    readyPath: '/api/auth/ok',
  });
}

/**
 * Signs Better Auth's admin in over HTTP, as a browser would (its session cookie), and reads
 * the ids of its seeded users through its admin API.
 */
async function betterAuthSession(
  service: Service,
  seed: BetterAuthSeed,
): Promise<NonNullable<ScenarioContext['betterAuth']>> {
  const origin = service.url;
  const signIn = await fetch(`${service.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email: seed.adminEmail, password: seed.adminPassword }),
  });
  if (signIn.status !== 200) throw new Error(`Better Auth sign-in: ${signIn.status}`);
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('better-auth.session_token='));
  if (!cookie) throw new Error('Better Auth sign-in set no session cookie');
  const list = await fetch(
    `${service.url}/api/auth/admin/list-users?limit=${seed.users + 1}&sortBy=createdAt`,
    { headers: { cookie } },
  );
  if (list.status !== 200) throw new Error(`Better Auth list-users: ${list.status}`);
  const { users } = (await list.json()) as { users: Array<{ id: string; email: string }> };
  const userIds = users.filter((u) => u.email !== seed.adminEmail).map((u) => u.id);
  if (userIds.length !== seed.users) throw new Error(`Better Auth has ${userIds.length} users`);
  // In turn in a shuffled order, as Roster's are.
  for (let k = userIds.length - 1; k > 0; k--) {
    const j = Math.floor(Math.random() * (k + 1));
    [userIds[k], userIds[j]] = [userIds[j]!, userIds[k]!];
  }
  return { userIds, cookie, origin };
}

interface ListPage {
  users: Array<{ created_at: string; id: string }>;
  pagination: { has_more: boolean; next_cursor?: string };
}

/**
 * Follows cursors from the first page to about 90% of the list (100 users a page), checking
 * the order as it goes, then keeps the cursors of the next pages: the deep pages.
 */
async function walkToDeepPages(
  url: string,
  key: string,
  users: number,
): Promise<{ cursors: string[]; pages: number; seconds: number }> {
  const started = performance.now();
  const headers = { authorization: `Bearer ${key}` };
  let cursor: string | undefined;
  let seen = 0;
  let pages = 0;
  let last = '';
  const cursors: string[] = [];
  while (cursors.length < 20) {
    const limit = seen < users * 0.9 ? 100 : 50;
    const response = await fetch(
      `${url}/v2/users?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      { headers },
    );
    if (response.status !== 200) throw new Error(`walking the list: ${response.status}`);
    const page = (await response.json()) as ListPage;
    for (const user of page.users) {
      if (user.created_at < last) throw new Error('the list is not in created_at order');
      last = user.created_at;
    }
    seen += page.users.length;
    pages++;
    if (!page.pagination.has_more || !page.pagination.next_cursor) break;
    cursor = page.pagination.next_cursor;
    if (seen >= users * 0.9) cursors.push(cursor);
  }
  if (cursors.length === 0) throw new Error('the list ended before a deep page');
  return { cursors, pages, seconds: (performance.now() - started) / 1000 };
}

function selected(settings: Settings, name: string): boolean {
  if (!settings.only) return true;
  return settings.only
    .toLowerCase()
    .split('|')
    .some((part) => name.toLowerCase().includes(part));
}

const MB = 2 ** 20;

/**
 * A scenario's warm-up: at least settings.warmupSeconds, then steps of warmupStepSeconds
 * until the server has answered warmupResponses requests of the scenario, at most
 * warmupMaxSeconds in all. V8 optimizes a function only after it has run many times (it
 * counts calls, not seconds), and compiles it on helper threads: a create runs far more code
 * than a read, and after a warm-up of a second (about 1,500 creates) those threads still took
 * about 190 µs of CPU per create, nine tenths of it in the optimizing compiler, against 18 µs
 * after 25,000 creates. A warm-up of a fixed short time measured the compiler. Quick runs
 * keep a warm-up of half a second (they must stay under two minutes), so their ratios for
 * writes read low.
 */
async function warmUp(run: (seconds: number) => Promise<Slice>, settings: Settings) {
  const steps = [await run(settings.warmupSeconds)];
  const total = (key: 'responses' | 'seconds') => steps.reduce((sum, s) => sum + s[key], 0);
  while (
    total('responses') < settings.warmupResponses &&
    total('seconds') + settings.warmupStepSeconds <= settings.warmupMaxSeconds
  ) {
    steps.push(await run(settings.warmupStepSeconds));
  }
  return steps;
}

function warmupText(settings: Settings): string {
  if (settings.warmupResponses === 0) return `a warm-up of ${settings.warmupSeconds} s`;
  return (
    `a warm-up of at least ${settings.warmupSeconds} s and ` +
    `${settings.warmupResponses.toLocaleString('en-US')} responses (at most ${settings.warmupMaxSeconds} s)`
  );
}

/** Runs a scenario: a warm-up, then slices taking turns with its baseline. */
async function measureScenario(
  target: { service: Service; requests: RequestSpec[]; headers: Record<string, string> },
  baseline: { service: Service; requests: RequestSpec[]; headers: Record<string, string> },
  settings: Settings,
  connections: number,
  interleaved: boolean,
  warmBaseline: boolean,
) {
  // A slice lasts until the server has finished what its requests left behind.
  const slice = async (side: typeof baseline, seconds: number): Promise<Slice> => {
    const result = await runSlice({
      url: side.service.url,
      connections,
      seconds,
      headers: side.headers,
      requests: side.requests,
    });
    return { ...result, seconds: result.seconds + (await busySeconds(side.service.pid)) };
  };
  const targetRss = sampleRss(target.service.pid);
  const baselineRss = sampleRss(baseline.service.pid);
  try {
    // A baseline is warmed up as Roster is, before its first measured slice.
    const baselineWarmups = warmBaseline
      ? await warmUp((seconds) => slice(baseline, seconds), settings)
      : [];
    const warmups = await warmUp((seconds) => slice(target, seconds), settings);
    const baselineSlices: Slice[] = [];
    const targetSlices: Slice[] = [];
    if (!interleaved) {
      for (let i = 0; i < settings.slices; i++) {
        baselineSlices.push(await slice(baseline, settings.sliceSeconds));
      }
    }
    let cpu = 0;
    let wall = 0;
    for (let i = 0; i < settings.slices; i++) {
      if (interleaved) baselineSlices.push(await slice(baseline, settings.sliceSeconds));
      const [cpuBefore, wallBefore] = [cpuSeconds(target.service.pid), performance.now()];
      targetSlices.push(await slice(target, settings.sliceSeconds));
      cpu += cpuSeconds(target.service.pid) - cpuBefore;
      wall += (performance.now() - wallBefore) / 1000;
    }
    const ratios = targetSlices.map((t, i) => {
      const b = requestsPerSecond(baselineSlices[i]!);
      return b > 0 ? requestsPerSecond(t) / b : 0;
    });
    return {
      target: {
        load: combine(targetSlices, warmups),
        ratio: median(ratios),
        rss: targetRss.take(),
        /** CPU the server used while measured, in cores (1 = one core busy throughout). */
        cores: wall > 0 ? cpu / wall : 0,
        warmupSeconds: warmups.reduce((sum, w) => sum + w.seconds, 0),
      },
      baselineSlices,
      baselineWarmups,
      baselineRss: baselineRss.take(),
    };
  } finally {
    targetRss.stop();
    baselineRss.stop();
  }
}

function needsBetterAuth(scenarios: Scenario[]): boolean {
  return scenarios.some((scenario) => BASELINES[scenario.baseline].server === 'better-auth');
}

async function benchDatabase(
  database: Database,
  seed: SeedResult,
  betterAuthSeed: BetterAuthSeed | undefined,
  dir: string,
  settings: Settings,
  profileDir: string,
): Promise<Row[]> {
  const rows: Row[] = [];
  const scenarios = SCENARIOS.filter((scenario) => selected(settings, scenario.name));
  const baselineRuns = new Map<
    BaselineName,
    { slices: Slice[]; warmups: Slice[]; rssMaxBytes: number }
  >();

  const services: Service[] = [];
  const stopAll = async () => {
    for (const service of services.reverse()) await service.stop();
  };
  let roster: Service;
  let bare: Service;
  let betterAuth: Service | undefined;
  try {
    bare = await startBaseline(database, settings, profileDir);
    services.push(bare);
    if (betterAuthSeed) {
      betterAuth = await startBetterAuth(database, settings, profileDir);
      services.push(betterAuth);
    }
    roster = await startRoster(database, dir, settings, profileDir);
    services.push(roster);
  } catch (error) {
    await stopAll();
    throw error;
  }
  try {
    const walk = await walkToDeepPages(roster.url, seed.apiKey, seed.users);
    log(
      `${database.name}: followed ${walk.pages} pages of cursors in ${walk.seconds.toFixed(1)} s to reach the deep pages`,
    );
    const context: ScenarioContext = {
      seed,
      deepCursors: walk.cursors,
      runTag: randomBytes(3).toString('hex'),
      ...(betterAuth && betterAuthSeed
        ? { betterAuth: await betterAuthSession(betterAuth, betterAuthSeed) }
        : {}),
    };
    await checkSameAnswers(roster, bare, scenarios, context);
    for (const scenario of scenarios) {
      const baseline = BASELINES[scenario.baseline];
      const key = scenario.account === 'small' ? seed.small.apiKey : seed.apiKey;
      // A same-work baseline is sent the scenario's own requests, with emails of its own.
      const baselineRequests = baseline.requests
        ? baseline.requests(context)
        : scenario.requests({ ...context, runTag: `${context.runTag}-same-work` });
      const requests = scenario.requests(context);
      const run = baselineRuns.get(baseline.name);
      const result = await measureScenario(
        {
          service: roster,
          requests,
          headers: scenario.headers?.(context) ?? bearer(key),
        },
        {
          service: baseline.server === 'bare' ? bare : betterAuth!,
          requests: baselineRequests,
          headers: baseline.headers(context),
        },
        settings,
        scenario.connections ?? settings.connections,
        scenario.interleaved ?? true,
        !run,
      );
      baselineRuns.set(baseline.name, {
        slices: [...(run?.slices ?? []), ...result.baselineSlices],
        warmups: [...(run?.warmups ?? []), ...result.baselineWarmups],
        rssMaxBytes: Math.max(run?.rssMaxBytes ?? 0, result.baselineRss.maxBytes),
      });
      const { load, ratio, rss, cores, warmupSeconds } = result.target;
      const invalid = load.non2xx > 0 || load.errors > 0;
      rows.push({
        scenario: scenario.name,
        database: database.name,
        baseline: baseline.name,
        isBaseline: false,
        load,
        ratio,
        rssMaxBytes: rss.maxBytes,
        rssStartBytes: rss.startBytes,
        invalid,
      });
      const codes = Object.entries(load.statusCodes)
        .map(([code, count]) => `${code}:${count}`)
        .join(' ');
      log(
        `${database.name} ${scenario.name}: ${Math.round(load.requestsPerSecond)} req/s ` +
          `(${Math.round(load.burstRequestsPerSecond)} while loaded) ` +
          `(${ratio.toFixed(2)}x ${baseline.label} at ` +
          `${Math.round(combine(result.baselineSlices).requestsPerSecond)}), p50 ${load.p50Ms.toFixed(2)} ms, ` +
          `p99 ${load.p99Ms.toFixed(2)} ms, server CPU ${cores.toFixed(2)} cores, ` +
          `RSS ${Math.round(rss.startBytes / MB)} -> ` +
          `${Math.round(rss.maxBytes / MB)} MB, warm-up ${warmupSeconds.toFixed(1)} s ` +
          `[${codes}]${invalid ? ' INVALID' : ''}`,
      );
      if (requests.some((request) => (request.method ?? 'GET') !== 'GET')) {
        const started = performance.now();
        await database.settle();
        log(`${database.name}: settled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    await stopAll();
    for (const service of [roster, bare, betterAuth]) {
      const problems = service?.stderr().trim();
      if (problems)
        log(`${database.name}: ${service!.name} wrote to stderr:\n${problems.slice(-8000)}`);
    }
  }
  const baselineRows: Row[] = (Object.keys(BASELINES) as BaselineName[])
    .filter((name) => baselineRuns.has(name))
    .map((name) => {
      const run = baselineRuns.get(name)!;
      const load = combine(run.slices, run.warmups);
      return {
        scenario: BASELINES[name].label,
        database: database.name,
        baseline: name,
        isBaseline: true,
        load,
        ratio: 1,
        rssMaxBytes: run.rssMaxBytes,
        rssStartBytes: 0,
        invalid: load.non2xx > 0 || load.errors > 0,
      };
    });
  return [...baselineRows, ...rows];
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/**
 * The same-work baselines must answer what Roster answers: for each read measured against
 * one, the first of its requests is sent to both and the answers compared (status and JSON).
 */
async function checkSameAnswers(
  roster: Service,
  bare: Service,
  scenarios: Scenario[],
  context: ScenarioContext,
): Promise<void> {
  for (const scenario of scenarios) {
    const baseline = BASELINES[scenario.baseline];
    const request = scenario.requests(context)[0];
    if (baseline.requests || request?.method !== 'GET' || !request.path) continue;
    const [mine, theirs] = await Promise.all(
      [roster, bare].map(async (service) => {
        const response = await fetch(service.url + request.path, {
          headers: bearer(context.seed.apiKey),
        });
        return { status: response.status, body: (await response.json()) as unknown };
      }),
    );
    if (!isDeepStrictEqual(mine, theirs)) {
      throw new Error(
        `${baseline.label} does not answer ${request.path} as Roster does:\n` +
          `Roster: ${JSON.stringify(mine)}\nbaseline: ${JSON.stringify(theirs)}`,
      );
    }
  }
}

async function main(): Promise<number> {
  const settings = settingsFrom(process.argv.slice(2));
  const started = performance.now();
  log(`machine: ${machine()}`);
  log(
    `${settings.users.toLocaleString('en-US')} users; ${settings.connections} connections; ` +
      `${warmupText(settings)}, then ${settings.slices} slices of ${settings.sliceSeconds} s per scenario`,
  );
  if (!fs.existsSync(path.join(root, 'dist', 'main.js'))) {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-bench-'));
  const profileDir = path.join(root, 'bench', 'results', 'profiles');
  if (settings.profile) fs.rmSync(profileDir, { recursive: true, force: true });
  const databases: Database[] = [];
  const rows: Row[] = [];
  try {
    for (const name of settings.databases) {
      const databaseDir = path.join(dir, name);
      fs.mkdirSync(databaseDir);
      databases.push(await createDatabase(name, databaseDir, settings));
    }
    const seedStarted = performance.now();
    const chosen = SCENARIOS.filter((scenario) => selected(settings, scenario.name));
    const withBetterAuth = needsBetterAuth(chosen);
    const auditEntries = chosen.some((scenario) => scenario.auditLog) ? settings.auditEntries : 0;
    const [seeds, betterAuthSeeds] = await Promise.all([
      Promise.all(
        databases.map((database) =>
          seedDatabase(database, settings.users, path.join(dir, database.name), auditEntries),
        ),
      ),
      Promise.all(
        databases.map((database) =>
          withBetterAuth ? seedBetterAuth(database) : Promise.resolve(undefined),
        ),
      ),
    ]);
    log(
      `seeded ${settings.users.toLocaleString('en-US')} users: ` +
        databases.map((d, i) => `${d.name} ${seeds[i]!.seconds.toFixed(1)} s`).join(', ') +
        (auditEntries > 0 ? ` (with ${auditEntries.toLocaleString('en-US')} audit entries)` : '') +
        (withBetterAuth
          ? `; Better Auth ${PEER_USERS.toLocaleString('en-US')} users: ` +
            databases
              .map((d, i) => `${d.name} ${betterAuthSeeds[i]!.seconds.toFixed(1)} s`)
              .join(', ')
          : '') +
        ` (in parallel, ${((performance.now() - seedStarted) / 1000).toFixed(1)} s)`,
    );
    for (const [i, database] of databases.entries()) {
      rows.push(
        ...(await benchDatabase(
          database,
          seeds[i]!,
          betterAuthSeeds[i],
          path.join(dir, database.name),
          settings,
          profileDir,
        )),
      );
    }
  } finally {
    for (const database of databases) await database.drop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const date = new Date().toISOString().slice(0, 10);
  const out: string[] = [
    '',
    `Roster benchmark, ${date}: ${machine()}`,
    `${settings.users.toLocaleString('en-US')} users in the account; ${settings.connections} connections ` +
      `(32 for temporary_password); per scenario ${warmupText(settings)}, then ` +
      `${settings.slices} slices of ${settings.sliceSeconds} s taking turns with ${settings.slices} of the baseline; ` +
      `the comparisons with Better Auth on ${PEER_USERS.toLocaleString('en-US')} users with 16 connections`,
    '',
    table(rows),
    '',
    ...notes(rows),
    '',
    'Targets:',
    ...targets(rows, settings.databases).map(
      (t) => `  [${t.met ? 'PASS' : 'FAIL'}] ${t.description}: ${t.figure}`,
    ),
    '',
    `Total time ${((performance.now() - started) / 1000).toFixed(0)} s`,
  ];
  process.stdout.write(out.join('\n') + '\n');
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'bench', 'results', `${settings.quick ? 'quick' : 'full'}-${Date.now()}.json`),
    JSON.stringify({ date, machine: machine(), settings, rows }, null, 2),
  );
  if (settings.profile) {
    for (const file of fs.readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
      process.stdout.write(
        `\nProfile ${file}:\n${summariseProfile(path.join(profileDir, file))}\n`,
      );
    }
  }

  const invalid = rows.filter((r) => r.invalid);
  if (invalid.length > 0) {
    process.stderr.write(
      `\nFAILED: requests that should have succeeded did not in: ${invalid
        .map((r) => `${r.scenario} [${r.database}]`)
        .join(', ')}\n`,
    );
    return 1;
  }
  return 0;
}

process.exitCode = await main();
