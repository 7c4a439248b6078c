/**
 * What the benchmark measures: each scenario is one kind of request, varied per request
 * (which user, which page, which substring, which new email) so no answer is a replay.
 */
import type { RawRequest, RequestSpec } from 'autocannon';
import { encodeId } from '../src/http/global-id.js';
import { COMMON_SUBSTRINGS, rareSubstring } from './dataset.js';
import type { SeedResult } from './seed.js';

/** Which baseline a scenario is compared with: the bare JSON read or the bare INSERT. */
export type BaselineKind = 'read' | 'write';

export interface ScenarioContext {
  seed: SeedResult;
  /** Cursors of consecutive pages about 90% of the way into the list, reached by following cursors. */
  deepCursors: string[];
  /** Makes the emails of this run's creates unique across runs on one database. */
  runTag: string;
}

export interface Scenario {
  name: string;
  baseline: BaselineKind;
  /** Connections held open by the load generator; more than the usual where queuing is the point. */
  connections?: number;
  /**
   * Whether its slices take turns with the baseline's (the default). Not where requests
   * outlive a slice (queued password hashing would still be running in the next baseline
   * slice): then the baseline is measured first.
   */
  interleaved?: boolean;
  requests(context: ScenarioContext): RequestSpec[];
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

function createUser(mode: 'email_link' | 'temporary_password') {
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
              email: `load-${context.runTag}-${mode}-${n}@bench.test`,
              role: { type: 'predefined', name: 'member' },
              invite_mode: mode,
            }),
          };
        },
      },
    ];
  };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'GET /v2/users/{id}',
    baseline: 'read',
    requests: ({ seed }) => get(seed.sampleIds.map(userPath)),
  },
  {
    name: 'GET /v2/users?limit=50 first page',
    baseline: 'read',
    requests: () => get(['/v2/users?limit=50']),
  },
  {
    name: 'GET /v2/users?limit=50 deep page',
    baseline: 'read',
    requests: ({ deepCursors }) =>
      get(deepCursors.map((cursor) => `/v2/users?limit=50&cursor=${cursor}`)),
  },
  {
    name: 'GET /v2/users?email= (1 match)',
    baseline: 'read',
    requests: ({ seed }) =>
      get(
        seed.sampleRows.map((row) => `/v2/users?email=${encodeURIComponent(rareSubstring(row))}`),
      ),
  },
  {
    name: 'GET /v2/users?email= (surname, ~0.5%)',
    baseline: 'read',
    requests: () => get(COMMON_SUBSTRINGS.map((s) => `/v2/users?email=${encodeURIComponent(s)}`)),
  },
  {
    name: 'PATCH /v2/users/{id} name',
    baseline: 'write',
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
    baseline: 'write',
    requests: createUser('email_link'),
  },
  {
    name: 'POST /v2/users temporary_password',
    baseline: 'write',
    // Many more requests in flight than hashes allowed at once: memory must not follow.
    connections: 32,
    interleaved: false,
    requests: createUser('temporary_password'),
  },
];
