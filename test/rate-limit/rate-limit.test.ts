import { expect, it } from 'vitest';
import http from 'node:http';
import { randomInt } from 'node:crypto';
import { mintKeyForUser } from '../../src/accounts/service.js';
import { describeEachDatabase, startRoster, useRoster } from '../support/roster.js';

/** The status of GET /v2/users without a key, sent from a loopback `address` of the caller's. */
function statusFrom(url: string, address: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: hostname, port, path: '/v2/users', localAddress: address, agent: false },
        (response) => {
          response.resume();
          resolve(response.statusCode!);
        },
      )
      .on('error', reject);
  });
}

describeEachDatabase('API rate limit', (database) => {
  const roster = useRoster(database, { env: { ROSTER_API_RATE_LIMIT: '5' } });

  it('counts every /v2 request per user; over the limit is a 429 problem with Retry-After', async () => {
    const a = await roster.newAccount();
    const b = await roster.newAccount();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await roster.api(a.key, 'GET', '/v2/users')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const over = await roster.api(a.key, 'GET', '/v2/users?limit=1');
    expect(over.status).toBe(429);
    expect(over.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(over.body).toMatchObject({ status: 429, title: 'Too Many Requests' });
    // Another user has its own budget.
    expect((await roster.api(b.key, 'GET', '/v2/users')).status).toBe(200);
  });
});

it('with ROSTER_REDIS_URL, processes share one budget per user, and one per address for failed requests', async () => {
  const env = { ROSTER_API_RATE_LIMIT: '4', ROSTER_REDIS_URL: 'redis://127.0.0.1:6379' };
  const one = await startRoster('sqlite', { env });
  // A second process on the same database file.
  const two = await startRoster('sqlite', {
    env: { ...env, ROSTER_DATABASE_URL: `sqlite:${one.dataDir}/roster.db` },
  });
  try {
    const caller = await one.newAccount();
    const statuses = [];
    for (const roster of [one, two, one]) {
      statuses.push((await roster.api(caller.key, 'GET', '/v2/users')).status);
    }
    // A second key of the same user, used on the other process.
    const second = await mintKeyForUser(two.server.deps, {
      email: caller.email,
      accountId: caller.accountId,
    });
    for (const [roster, key] of [
      [two, second.apiKey],
      [one, second.apiKey],
      [two, caller.key],
    ] as const) {
      statuses.push((await roster.api(key, 'GET', '/v2/users')).status);
    }
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses.slice(4)).toEqual([429, 429]);

    // Failed requests from one address (its own, so that no other test shares it).
    const address = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    const failed = [];
    for (const roster of [one, two, one, two, one, two]) {
      failed.push(await statusFrom(roster.url, address));
    }
    expect(failed).toEqual([401, 401, 401, 401, 429, 429]);
  } finally {
    await two.close();
    await one.close();
  }
});

it('when Redis does not answer, requests go on uncounted and the log says so; never a 500', async () => {
  const lines: string[] = [];
  // Nothing listens on port 1: every connection to it is refused.
  const env = { ROSTER_API_RATE_LIMIT: '2', ROSTER_REDIS_URL: 'redis://127.0.0.1:1' };
  const roster = await startRoster('sqlite', { env, logStream: (line) => lines.push(line) });
  try {
    const caller = await roster.newAccount();
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await roster.api(caller.key, 'GET', '/v2/users')).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200]);
    const logged = lines.join('');
    expect(logged).toContain(
      'did not answer within 5 s; rate limits are not counted until it does',
    );
    expect(logged).toContain('rate limit not counted: Redis did not answer');
  } finally {
    await roster.close();
  }
}, 20_000);
