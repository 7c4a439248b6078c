/**
 * What the benchmark measures: each scenario is one kind of request, varied per request
 * (which user, which page, which substring, which new email) so no answer is a replay.
 */
import type { RawRequest, RequestSpec } from 'autocannon';
import { encodeId } from '../src/http/global-id.js';
import { COMMON_SUBSTRINGS, rareSubstring } from './dataset.js';
import type { SeedResult } from './seed.js';

/**
 * What a scenario's ratio is taken against (measured in slices that take turns with it):
 * - `json`, `insert`: the bare Fastify JSON read and one bare INSERT (baseline-server.ts), the
 *   ceiling of the stack;
 * - `get`, `list`, `list-deep`, `create`: the same-work baselines (same-work.ts), the same
 *   requests answered by bare routes doing the scenario's essential work on Roster's database;
 * - `ba-get`, `ba-list`, `ba-create`: Better Auth's admin API (better-auth-server.ts), the
 *   peer, on an account of as many users as Better Auth holds.
 */
export type BaselineName =
  'json' | 'insert' | 'get' | 'list' | 'list-deep' | 'create' | 'ba-get' | 'ba-list' | 'ba-create';

/** Which server answers a baseline: the bare Fastify server, or Better Auth. */
export type BaselineServer = 'bare' | 'better-auth';

export interface ScenarioContext {
  seed: SeedResult;
  /** Cursors of consecutive pages about 90% of the way into the list, reached by following cursors. */
  deepCursors: string[];
  /** Makes the emails of this run's creates unique across runs on one database. */
  runTag: string;
  /** Better Auth's seeded users and its admin's session, once its server runs. */
  betterAuth?: { userIds: string[]; cookie: string; origin: string };
}

export interface Scenario {
  name: string;
  baseline: BaselineName;
  /** Whose API key Roster's requests carry: the million-user account's (the default) or the small one's. */
  account?: 'large' | 'small';
  /** Connections held open by the load generator; more than the usual where queuing is the point. */
  connections?: number;
  /**
   * Whether its slices take turns with the baseline's (the default). Not where requests
   * outlive a slice (queued password hashing would still be running in the next baseline
   * slice): then the baseline is measured first.
   */
  interleaved?: boolean;
  /** Whether it reads the audit log: the large account's is then seeded (--audit-entries). */
  auditLog?: boolean;
  requests(context: ScenarioContext): RequestSpec[];
  /** Headers of Roster's requests, when not the account's API key (a page's session cookie). */
  headers?(context: ScenarioContext): Record<string, string>;
}

export interface Baseline {
  name: BaselineName;
  /** Its row in the table. */
  label: string;
  server: BaselineServer;
  /**
   * Its requests. Same-work baselines have none of their own: they are sent the requests of
   * the scenario measured against them (creates with emails of their own).
   */
  requests?(context: ScenarioContext): RequestSpec[];
  headers(context: ScenarioContext): Record<string, string>;
}

/** Cycles through `values`, one per request. */
function cycle<T>(values: readonly T[]): () => T {
  let next = 0;
  return () => values[next++ % values.length]!;
}

function counter(): () => number {
  let n = 0;
  return () => ++n;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/**
 * GETs of `paths`, in turn. Each is a request of its own, built once: autocannon then sends
 * each connection through the list with no work per request, as it sends the read
 * baseline's one request. (A request built per send by setupRequest cost the load
 * generator about 20 µs a request, on the cores the server shares, for Roster's reads only.)
 */
function get(paths: readonly string[]): RequestSpec[] {
  return paths.map((path) => ({ method: 'GET', path }));
}

function userPath(id: string): string {
  return `/v2/users/${encodeURIComponent(encodeId('User', id))}`;
}

/** Marks the scenarios measured against Better Auth, on the 1,000-user account. */
export const PEER = '[1,000 users]';
const PEER_CONNECTIONS = 16;

function createUser(mode: 'email_link' | 'temporary_password', account = 'large') {
  return (context: ScenarioContext): RequestSpec[] => {
    const next = counter();
    return [
      {
        method: 'POST',
        path: '/v2/users',
        headers: JSON_HEADERS,
        setupRequest: (request: RawRequest) => {
          const n = next();
          return {
            ...request,
            body: JSON.stringify({
              name: `Load User ${n}`,
              email: `load-${context.runTag}-${account}-${mode}-${n}@bench.test`,
              role: { type: 'predefined', name: 'member' },
              invite_mode: mode,
            }),
          };
        },
      },
    ];
  };
}

const BETTER_AUTH = '/api/auth/admin';

function betterAuthOf(context: ScenarioContext) {
  if (!context.betterAuth) throw new Error('Better Auth is not running');
  return context.betterAuth;
}

const insertSequence = counter();

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

export const BASELINES: Record<BaselineName, Baseline> = {
  json: {
    name: 'json',
    label: 'bare Fastify: JSON read',
    server: 'bare',
    requests: () => [{ method: 'GET', path: '/read' }],
    headers: () => ({}),
  },
  insert: {
    name: 'insert',
    label: 'bare Fastify: one INSERT',
    server: 'bare',
    // One sequence for the whole run: each scenario measured against it builds its requests anew.
    requests: () => {
      const next = insertSequence;
      return [
        {
          method: 'POST',
          path: '/write',
          headers: JSON_HEADERS,
          setupRequest: (request: RawRequest) => {
            const n = next();
            return {
              ...request,
              body: JSON.stringify({ name: `Load User ${n}`, email: `baseline-${n}@bench.test` }),
            };
          },
        },
      ];
    },
    headers: () => ({}),
  },
  get: {
    name: 'get',
    label: 'same work: GET user',
    server: 'bare',
    headers: ({ seed }) => bearer(seed.apiKey),
  },
  list: {
    name: 'list',
    label: 'same work: list-50 first page',
    server: 'bare',
    headers: ({ seed }) => bearer(seed.apiKey),
  },
  'list-deep': {
    name: 'list-deep',
    label: 'same work: list-50 deep page',
    server: 'bare',
    headers: ({ seed }) => bearer(seed.apiKey),
  },
  create: {
    name: 'create',
    label: 'same work: create email_link',
    server: 'bare',
    headers: ({ seed }) => bearer(seed.apiKey),
  },
  'ba-get': {
    name: 'ba-get',
    label: 'Better Auth: get-user',
    server: 'better-auth',
    requests: (context) =>
      get(betterAuthOf(context).userIds.map((id) => `${BETTER_AUTH}/get-user?id=${id}`)),
    headers: (context) => ({ cookie: betterAuthOf(context).cookie }),
  },
  'ba-list': {
    name: 'ba-list',
    label: 'Better Auth: list-users 50',
    server: 'better-auth',
    // In creation order, as Roster lists (a list without an order has no stable pages).
    requests: () => get([`${BETTER_AUTH}/list-users?limit=50&sortBy=createdAt`]),
    headers: (context) => ({ cookie: betterAuthOf(context).cookie }),
  },
  'ba-create': {
    name: 'ba-create',
    label: 'Better Auth: create-user',
    server: 'better-auth',
    requests: ({ runTag }) => {
      const next = counter();
      return [
        {
          method: 'POST',
          path: `${BETTER_AUTH}/create-user`,
          headers: JSON_HEADERS,
          setupRequest: (request: RawRequest) => {
            const n = next();
            return {
              ...request,
              // No password: the user signs in some other way, as Roster's email_link users.
              body: JSON.stringify({
                name: `Load User ${n}`,
                email: `load-${runTag}-ba-${n}@bench.test`,
                role: 'user',
              }),
            };
          },
        },
      ];
    },
    // Better Auth refuses a POST carrying a session cookie from an origin it does not trust.
    headers: (context) => ({
      cookie: betterAuthOf(context).cookie,
      origin: betterAuthOf(context).origin,
    }),
  },
};

export const SCENARIOS: Scenario[] = [
  {
    name: 'GET /v2/users/{id}',
    baseline: 'get',
    requests: ({ seed }) => get(seed.sampleIds.map(userPath)),
  },
  {
    name: 'GET /v2/users?limit=50 first page',
    baseline: 'list',
    requests: () => get(['/v2/users?limit=50']),
  },
  {
    name: 'GET /v2/users?limit=50 deep page',
    baseline: 'list-deep',
    requests: ({ deepCursors }) =>
      get(deepCursors.map((cursor) => `/v2/users?limit=50&cursor=${cursor}`)),
  },
  {
    name: 'GET /v2/users?email= (1 match)',
    baseline: 'json',
    requests: ({ seed }) =>
      get(
        seed.sampleRows.map((row) => `/v2/users?email=${encodeURIComponent(rareSubstring(row))}`),
      ),
  },
  {
    name: 'GET /v2/users?email= (surname, ~0.5%)',
    baseline: 'json',
    requests: () => get(COMMON_SUBSTRINGS.map((s) => `/v2/users?email=${encodeURIComponent(s)}`)),
  },
  {
    name: 'PATCH /v2/users/{id} name',
    baseline: 'insert',
    requests: ({ seed }) => {
      const user = cycle(seed.sampleIds.map(userPath));
      const next = counter();
      return [
        {
          method: 'PATCH',
          headers: JSON_HEADERS,
          setupRequest: (request: RawRequest) => ({
            ...request,
            path: user(),
            body: JSON.stringify({ name: `Renamed ${next()}` }),
          }),
        },
      ];
    },
  },
  {
    name: 'POST /v2/users email_link',
    baseline: 'create',
    requests: createUser('email_link'),
  },
  {
    name: 'POST /v2/users temporary_password',
    baseline: 'insert',
    // Many more requests in flight than hashes allowed at once: memory must not follow.
    connections: 32,
    interleaved: false,
    requests: createUser('temporary_password'),
  },
  // The audit log of the large account (a million entries in a full run), newest first.
  {
    name: 'GET /v2/audit-logs?limit=50 newest page',
    baseline: 'json',
    auditLog: true,
    requests: () => get(['/v2/audit-logs?limit=50']),
  },
  {
    name: 'GET /v2/audit-logs?user_id= (1 of 1,000 users)',
    baseline: 'json',
    auditLog: true,
    requests: ({ seed }) =>
      get(
        seed.sampleIds.map(
          (id) => `/v2/audit-logs?limit=50&user_id=${encodeURIComponent(encodeId('User', id))}`,
        ),
      ),
  },
  // The console's people page on the large account: the first 50 users and the counts by
  // status, as the signed-in admin's browser asks for it (target: p50 under 100 ms).
  {
    name: 'GET /admin console people page',
    baseline: 'json',
    headers: ({ seed }) => ({ cookie: `roster_session=${seed.adminSession}` }),
    requests: () => get(['/admin']),
  },
  // Against Better Auth: an account of as many users as Better Auth holds, 16 connections.
  {
    name: `GET /v2/users/{id} ${PEER}`,
    baseline: 'ba-get',
    account: 'small',
    connections: PEER_CONNECTIONS,
    requests: ({ seed }) => get(seed.small.sampleIds.map(userPath)),
  },
  {
    name: `GET /v2/users?limit=50 ${PEER}`,
    baseline: 'ba-list',
    account: 'small',
    connections: PEER_CONNECTIONS,
    requests: () => get(['/v2/users?limit=50']),
  },
  {
    name: `POST /v2/users email_link ${PEER}`,
    baseline: 'ba-create',
    account: 'small',
    connections: PEER_CONNECTIONS,
    requests: createUser('email_link', 'small'),
  },
];
