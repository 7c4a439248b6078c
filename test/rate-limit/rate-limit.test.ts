import { expect, it } from 'vitest';
import { describeEachDatabase, startRoster, useRoster } from '../support/roster.js';

describeEachDatabase('API rate limit', (database) => {
  const roster = useRoster(database, { env: { ROSTER_API_RATE_LIMIT: '5' } });

  it('counts every /v2 request per API key; over the limit is a 429 problem with Retry-After', async () => {
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
    // Another key has its own budget.
    expect((await roster.api(b.key, 'GET', '/v2/users')).status).toBe(200);
  });
});

it('with ROSTER_REDIS_URL, processes share one budget per key', async () => {
  const env = { ROSTER_API_RATE_LIMIT: '4', ROSTER_REDIS_URL: 'redis://127.0.0.1:6379' };
  const one = await startRoster('sqlite', { env });
  // A second process on the same database file.
  const two = await startRoster('sqlite', {
    env: { ...env, ROSTER_DATABASE_URL: `sqlite:${one.dataDir}/roster.db` },
  });
  try {
    const caller = await one.newAccount();
    const statuses = [];
    for (const roster of [one, two, one, two, one, two]) {
      statuses.push((await roster.api(caller.key, 'GET', '/v2/users')).status);
    }
    expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
    expect(statuses.slice(4)).toEqual([429, 429]);
  } finally {
    await two.close();
    await one.close();
  }
});
