/**
 * `npm run bench [-- --quick] [--only <text>] [--databases sqlite,postgres] [--users <n>]
 *   [--warmup <s>] [--warmup-responses <n>] [--warmup-max <s>] [--profile]
 *   [--server-node-options "<node options>"]`
 *
 * For each database: a temporary database seeded with an account of a million users (a
 * hundred thousand with --quick); Roster from its production build and the bare Fastify
 * baseline server, each a separate process; load over loopback from autocannon in this
 * process. Each scenario is warmed up, then measured in slices that take turns with its
 * baseline (baseline, Roster, baseline, Roster...), so that both see the same machine even
 * when something else runs on it; ratios are the median of the slices' ratios. Prints one
 * table and the targets; exits non-zero when any request that should succeed did not.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
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
import { SCENARIOS, type ScenarioContext } from './scenarios.js';
import type { SeedResult } from './seed.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

interface Settings {
  quick: boolean;
  users: number;
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
  drop(): Promise<void>;
}

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
      drop: async () => {},
    };
  }
  const database = `roster_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: settings.postgresAdminUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  const url = new URL(settings.postgresAdminUrl);
  url.pathname = `/${database}`;
  return {
    name,
    url: url.toString(),
    baselineUrl: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: settings.postgresAdminUrl });
      await client.connect();
      await client.query(`drop database if exists ${database} with (force)`);
      await client.end();
    },
  };
}

/** Seeds in a child process, so two databases can be seeded at once. */
function seedDatabase(database: Database, users: number, dir: string): Promise<SeedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'seed.ts'), database.url, String(users), dir],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`seeding ${database.name} failed:\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as SeedResult);
    });
  });
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
      path.join(root, 'dist', 'main.js'),
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
    },
    port,
    readyPath: '/healthz',
  });
}

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
      BASELINE_LOOKUP_URL: database.url,
    },
    port,
    readyPath: '/read',
  });
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
  return !settings.only || name.toLowerCase().includes(settings.only.toLowerCase());
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
  baseline: { service: Service; requests: RequestSpec[] },
  settings: Settings,
  connections: number,
  interleaved: boolean,
) {
  // A slice lasts until the server has finished what its requests left behind.
  const slice = async (
    side: typeof baseline & { headers?: Record<string, string> },
    seconds: number,
  ): Promise<Slice> => {
    const result = await runSlice({
      url: side.service.url,
      connections,
      seconds,
      headers: side.headers ?? {},
      requests: side.requests,
    });
    return { ...result, seconds: result.seconds + (await busySeconds(side.service.pid)) };
  };
  const targetRss = sampleRss(target.service.pid);
  const baselineRss = sampleRss(baseline.service.pid);
  try {
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
      baselineRss: baselineRss.take(),
    };
  } finally {
    targetRss.stop();
    baselineRss.stop();
  }
}

async function benchDatabase(
  database: Database,
  seed: SeedResult,
  dir: string,
  settings: Settings,
  profileDir: string,
): Promise<Row[]> {
  const rows: Row[] = [];
  const baselineSlices = { read: [] as Slice[], write: [] as Slice[] };
  const baselineRss = { read: 0, write: 0 };
  const baselineRequests = baselineScenarios(seed);

  const baseline = await startBaseline(database, settings, profileDir);
  const roster = await startRoster(database, dir, settings, profileDir).catch(async (error) => {
    await baseline.stop();
    throw error;
  });
  try {
    const walk = await walkToDeepPages(roster.url, seed.apiKey, seed.users);
    log(
      `${database.name}: followed ${walk.pages} pages of cursors in ${walk.seconds.toFixed(1)} s to reach the deep pages`,
    );
    const context: ScenarioContext = {
      seed,
      deepCursors: walk.cursors,
      runTag: randomBytes(3).toString('hex'),
    };
    const headers = { authorization: `Bearer ${seed.apiKey}` };
    for (const kind of ['read', 'write'] as const) {
      await runSlice({
        url: baseline.url,
        connections: settings.connections,
        seconds: settings.warmupSeconds,
        requests: baselineRequests[kind],
      });
    }
    // For scale, not a target: the least an authenticated read of one row does, measured
    // against the JSON read like GET /v2/users/{id}.
    const reference = {
      name: REFERENCE,
      baseline: 'read' as const,
      target: baseline,
      requests: baselineRequests.lookup,
    };
    // Not in quick runs (they must stay under two minutes) unless asked for by --only.
    const withReference = settings.only ? selected(settings, REFERENCE) : !settings.quick;
    const scenarios = [
      ...(withReference ? [reference] : []),
      ...SCENARIOS.filter((scenario) => selected(settings, scenario.name)).map((scenario) => ({
        ...scenario,
        target: roster,
        requests: scenario.requests(context),
      })),
    ];
    for (const scenario of scenarios) {
      const result = await measureScenario(
        { service: scenario.target, requests: scenario.requests, headers },
        { service: baseline, requests: baselineRequests[scenario.baseline] },
        settings,
        ('connections' in scenario ? scenario.connections : undefined) ?? settings.connections,
        ('interleaved' in scenario ? scenario.interleaved : undefined) ?? true,
      );
      baselineSlices[scenario.baseline].push(...result.baselineSlices);
      baselineRss[scenario.baseline] = Math.max(
        baselineRss[scenario.baseline],
        result.baselineRss.maxBytes,
      );
      const { load, ratio, rss, cores, warmupSeconds } = result.target;
      const invalid = load.non2xx > 0 || load.errors > 0;
      rows.push({
        scenario: scenario.name,
        database: database.name,
        baseline: scenario.baseline,
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
          `(${ratio.toFixed(2)}x ${scenario.baseline} baseline at ` +
          `${Math.round(combine(result.baselineSlices).requestsPerSecond)}), p50 ${load.p50Ms.toFixed(2)} ms, ` +
          `p99 ${load.p99Ms.toFixed(2)} ms, server CPU ${cores.toFixed(2)} cores, ` +
          `RSS ${Math.round(rss.startBytes / MB)} -> ` +
          `${Math.round(rss.maxBytes / MB)} MB, warm-up ${warmupSeconds.toFixed(1)} s ` +
          `[${codes}]${invalid ? ' INVALID' : ''}`,
      );
    }
  } finally {
    await roster.stop();
    await baseline.stop();
    const problems = roster.stderr().trim();
    if (problems) log(`${database.name}: Roster wrote to stderr:\n${problems.slice(-8000)}`);
  }
  const baselineRows: Row[] = (['read', 'write'] as const)
    .filter((kind) => baselineSlices[kind].length > 0)
    .map((kind) => {
      const load = combine(baselineSlices[kind]);
      return {
        scenario: kind === 'read' ? 'bare Fastify: JSON read' : 'bare Fastify: one INSERT',
        database: database.name,
        baseline: kind,
        isBaseline: true,
        load,
        ratio: 1,
        rssMaxBytes: baselineRss[kind],
        rssStartBytes: 0,
        invalid: load.non2xx > 0 || load.errors > 0,
      };
    });
  return [...baselineRows, ...rows];
}

const REFERENCE = 'bare Fastify: key hash + one SELECT';

/** The baseline server's routes, as request lists for autocannon. */
function baselineScenarios(seed: SeedResult): Record<'read' | 'write' | 'lookup', RequestSpec[]> {
  let n = 0;
  return {
    read: [{ method: 'GET', path: '/read' }],
    // The users GET /v2/users/{id} reads, by their internal ids, built once as Roster's are.
    lookup: seed.sampleIds.map((id) => ({ method: 'GET', path: `/lookup/${id}` })),
    write: [
      {
        method: 'POST',
        path: '/write',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ name: `Load User ${++n}`, email: `baseline-${n}@bench.test` }),
        }),
      },
    ],
  };
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
    const seeds = await Promise.all(
      databases.map((database) =>
        seedDatabase(database, settings.users, path.join(dir, database.name)),
      ),
    );
    log(
      `seeded ${settings.users.toLocaleString('en-US')} users: ` +
        databases.map((d, i) => `${d.name} ${seeds[i]!.seconds.toFixed(1)} s`).join(', ') +
        ` (in parallel, ${((performance.now() - seedStarted) / 1000).toFixed(1)} s)`,
    );
    for (const [i, database] of databases.entries()) {
      rows.push(
        ...(await benchDatabase(
          database,
          seeds[i]!,
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
      `${settings.slices} slices of ${settings.sliceSeconds} s taking turns with ${settings.slices} of the baseline`,
    '',
    table(rows),
    '',
    ...notes(rows),
    '',
    'Targets:',
    ...targets(rows, settings.databases).map(
      (t) => `  [${t.met ? 'met ' : 'MISS'}] ${t.description}: ${t.figure}`,
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
