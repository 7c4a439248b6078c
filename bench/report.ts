/** The benchmark's one table, and the targets it is held to. */
import { BASELINES, PEER, type BaselineName } from './scenarios.js';
import type { LoadResult } from './load.js';

export type DatabaseName = 'sqlite' | 'postgres';

export interface Row {
  scenario: string;
  database: DatabaseName;
  /** Which baseline this row is compared with (for a baseline's row: itself). */
  baseline: BaselineName;
  isBaseline: boolean;
  load: LoadResult;
  /**
   * The median, over the scenario's slices, of its req/s over the baseline's in the slice
   * just before (they take turns, so both see the same machine); 1 for a baseline.
   */
  ratio: number;
  rssMaxBytes: number;
  rssStartBytes: number;
  /** Whether any non-2xx or connection error invalidates this row. */
  invalid: boolean;
}

const MB = 1024 * 1024;

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function ratio(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

export function table(rows: Row[]): string {
  const header = [
    'scenario',
    'database',
    'req/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'server RSS max',
    'ratio',
    'against',
  ];
  const lines = rows.map((row) => {
    return [
      row.scenario,
      row.database,
      Math.round(row.load.requestsPerSecond).toLocaleString('en-US'),
      ms(row.load.p50Ms),
      ms(row.load.p99Ms),
      String(row.load.non2xx + row.load.errors) + (row.invalid ? ' INVALID' : ''),
      `${Math.round(row.rssMaxBytes / MB)} MB`,
      row.isBaseline ? '' : ratio(row.ratio),
      row.isBaseline ? '(baseline)' : BASELINES[row.baseline].label,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const format = (cells: string[]) =>
    '| ' +
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(' | ') +
    ' |';
  return [
    format(header),
    '|' +
      widths
        .map((w, i) => (numeric.has(i) ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2)))
        .join('|') +
      '|',
    ...lines.map(format),
  ].join('\n');
}

export interface Target {
  description: string;
  met: boolean;
  figure: string;
}

function find(rows: Row[], database: DatabaseName, scenario: string): Row | undefined {
  return rows.find((r) => r.database === database && r.scenario === scenario);
}

/** What the table cannot show: how memory moved while password hashes queued. */
export function notes(rows: Row[]): string[] {
  return rows
    .filter((row) => row.scenario.includes('temporary_password'))
    .map(
      (row) =>
        `${row.scenario} [${row.database}]: server RSS ${Math.round(row.rssStartBytes / MB)} MB ` +
        `before, ${Math.round(row.rssMaxBytes / MB)} MB at most while 32 connections waited for ` +
        `their hash (+${Math.round((row.rssMaxBytes - row.rssStartBytes) / MB)} MB)`,
    );
}

/** Ratio targets: Roster's req/s over its baseline's, medians of slices taken in turn. */
const RATIO_TARGETS: Array<{ scenario: string; min: Record<DatabaseName, number> }> = [
  { scenario: 'GET /v2/users/{id}', min: { sqlite: 0.7, postgres: 0.7 } },
  { scenario: 'POST /v2/users email_link', min: { sqlite: 0.5, postgres: 0.5 } },
  { scenario: `GET /v2/users/{id} ${PEER}`, min: { sqlite: 15, postgres: 10 } },
  { scenario: `GET /v2/users?limit=50 ${PEER}`, min: { sqlite: 5, postgres: 5 } },
  { scenario: `POST /v2/users email_link ${PEER}`, min: { sqlite: 8, postgres: 4 } },
];

export function targets(rows: Row[], databases: DatabaseName[]): Target[] {
  const out: Target[] = [];
  for (const database of databases) {
    for (const { scenario, min } of RATIO_TARGETS) {
      const row = find(rows, database, scenario);
      if (!row) continue;
      const against = BASELINES[row.baseline].label;
      out.push({
        description: `${scenario} >= ${min[database]}x ${against} on ${database}`,
        met: row.ratio >= min[database],
        figure: `${ratio(row.ratio)}x`,
      });
    }
    const first = find(rows, database, 'GET /v2/users?limit=50 first page');
    const deep = find(rows, database, 'GET /v2/users?limit=50 deep page');
    if (first && deep) {
      const r = deep.load.p50Ms / first.load.p50Ms;
      out.push({
        description: `deep page p50 within 1.5x of first page p50 on ${database}`,
        met: r <= 1.5 && r >= 1 / 1.5,
        figure: `${ms(deep.load.p50Ms)} vs ${ms(first.load.p50Ms)} ms (${r.toFixed(2)}x)`,
      });
    }
    for (const row of rows.filter(
      (r) => r.database === database && r.scenario.startsWith('GET /v2/audit-logs'),
    )) {
      out.push({
        description: `${row.scenario} p50 < 50 ms on ${database}`,
        met: row.load.p50Ms < 50,
        figure: `${ms(row.load.p50Ms)} ms`,
      });
    }
    for (const row of rows.filter(
      (r) => r.database === database && r.scenario.startsWith('GET /v2/users?email='),
    )) {
      out.push({
        description: `${row.scenario} p50 < 100 ms on ${database}`,
        met: row.load.p50Ms < 100,
        figure: `${ms(row.load.p50Ms)} ms`,
      });
    }
  }
  const roster = rows.filter((r) => !r.isBaseline);
  const maxRss = Math.max(0, ...roster.map((r) => r.rssMaxBytes));
  out.push({
    description: 'Roster server RSS < 250 MB throughout',
    met: maxRss < 250 * MB,
    figure: `max ${Math.round(maxRss / MB)} MB`,
  });
  return out;
}
