/**
 * Limits an attacker must not get around: the rate limit (no key, a wrong key and a fresh key
 * all count), the number of active keys a user may hold, one refresh per key however many are
 * asked for at once, and no /v2 answer kept in a cache.
 */
import http from 'node:http';
import { randomBytes, randomInt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mintKeyForUser } from '../../src/accounts/service.js';
import { API_KEY_PREFIX } from '../../src/auth/secrets.js';
import { Conflict } from '../../src/errors.js';
import {
  describeEachDatabase,
  type ApiResponse,
  type Caller,
  useRoster,
  type TestRoster,
} from '../support/roster.js';
import { checkInvariants } from './invariants.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Another client: a loopback address of its own (all of 127.0.0.0/8 reaches the server). */
function newAddress(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** A request from `address`, with `authorization` as given (or none). */
function fromAddress(
  roster: TestRoster,
  address: string,
  authorization?: string,
  method = 'GET',
  path = '/v2/users',
): Promise<Answer> {
  const { hostname, port } = new URL(roster.url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: hostname,
        port,
        method,
        path,
        localAddress: address,
        agent: false,
        headers: authorization ? { authorization } : {},
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, body }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

function expectTooMany(answer: Answer): void {
  expect(answer.status).toBe(429);
  expect(answer.headers['content-type']).toContain('application/problem+json');
  expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  expect(answer.headers['cache-control']).toBe('no-store');
}

describeEachDatabase('rate limits', (database) => {
  const roster = useRoster(database, { env: { ROSTER_API_RATE_LIMIT: '5' } });

  it('requests without a key or with a wrong one count against the client address; past its budget they are 429', async () => {
    const address = newAddress();
    const revoked = await roster.newAccount();
    const own = await roster.api(revoked.key, 'GET', '/v2/api-keys');
    await roster.api(revoked.key, 'PUT', `/v2/api-keys/${own.body.api_keys[0].id}/revoke`);
    const wrong = [
      undefined,
      'Bearer not a key!',
      `Bearer ${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`,
      `Bearer ${revoked.key}`,
      'Basic YWRtaW46YWRtaW4=',
    ];
    for (const authorization of wrong) {
      expect((await fromAddress(roster, address, authorization)).status).toBe(401);
    }
    for (const authorization of wrong)
      expectTooMany(await fromAddress(roster, address, authorization));

    // Another address is not affected; nor is a valid key from this one (behind a proxy every
    // client has one address).
    expect((await fromAddress(roster, newAddress())).status).toBe(401);
    const good = await roster.newAccount();
    expect((await fromAddress(roster, address, `Bearer ${good.key}`)).status).toBe(200);
  });

  it('a key whose owner may not use the API counts against the address too', async () => {
    const admin = await roster.newAccount();
    const member = await roster.newCaller(admin, 'member', false);
    const address = newAddress();
    for (let i = 0; i < 5; i++) {
      expect((await fromAddress(roster, address, `Bearer ${member.key}`)).status).toBe(403);
    }
    expectTooMany(await fromAddress(roster, address, `Bearer ${member.key}`));
  });

  it('all the keys of a user draw on one budget: a new key brings no fresh one', async () => {
    const admin = await roster.newAccount();
    const address = newAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await fromAddress(roster, address, `Bearer ${admin.key}`)).status);
    }
    const created = await roster.api(admin.key, 'POST', '/v2/api-keys', {
      key_type: 'user',
      name: 'another budget?',
    });
    expect(created.status).toBe(201);
    expect(statuses).toEqual([200, 200, 200]);
    // The fifth request of this user, from another address, with the new key.
    expect((await fromAddress(roster, newAddress(), `Bearer ${created.body.key}`)).status).toBe(
      200,
    );
    expectTooMany(await fromAddress(roster, newAddress(), `Bearer ${created.body.key}`));
    expectTooMany(await fromAddress(roster, address, `Bearer ${admin.key}`));
    const minted = await mintKeyForUser(roster.server.deps, {
      email: admin.email,
      accountId: admin.accountId,
    });
    expectTooMany(await fromAddress(roster, newAddress(), `Bearer ${minted.apiKey}`));
    // Another user, from the same address, has a budget of its own.
    const other = await roster.newAccount();
    expect((await fromAddress(roster, address, `Bearer ${other.key}`)).status).toBe(200);
  });
});

describe('with ROSTER_API_RATE_LIMIT=0', () => {
  const roster = useRoster('sqlite', { env: { ROSTER_API_RATE_LIMIT: '0' } });

  it('nothing is limited, failed requests included', async () => {
    const address = newAddress();
    for (let i = 0; i < 30; i++) {
      expect((await fromAddress(roster, address)).status).toBe(401);
    }
  });
});

describeEachDatabase('no /v2 answer is cached', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  it('every /v2 answer, success or error, carries Cache-Control: no-store', async () => {
    const answers: [string, ApiResponse][] = [];
    const call = async (label: string, ...args: Parameters<TestRoster['api']>) => {
      const answer = await roster.api(...args);
      answers.push([`${label} (${answer.status})`, answer]);
      return answer;
    };
    await call('user with a temporary password', admin.key, 'POST', '/v2/users', {
      name: 'Temporary',
      email: `temporary-${randomBytes(4).toString('hex')}@example.com`,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'temporary_password',
    });
    const key = await call('new key', admin.key, 'POST', '/v2/api-keys', {
      key_type: 'user',
      name: 'cached?',
    });
    await call('refreshed key', admin.key, 'POST', `/v2/api-keys/${key.body.id}/refresh`);
    await call('list', admin.key, 'GET', '/v2/users');
    await call('list of keys', admin.key, 'GET', '/v2/api-keys');
    await call('no key', undefined, 'GET', '/v2/users');
    await call('bad body', admin.key, 'POST', '/v2/users', '{');
    await call('unknown user', admin.key, 'GET', '/v2/users/nobody');
    await call('unknown route', admin.key, 'GET', '/v2/nothing-here');
    await call('wrong method', admin.key, 'PUT', '/v2/users');
    await call('malformed URL', admin.key, 'GET', '/v2/users/%E0%A4%A');
    await call('revoke', admin.key, 'PUT', `/v2/api-keys/${key.body.id}/revoke`);
    expect(new Set(answers.map(([, answer]) => answer.status)).size).toBeGreaterThan(5);
    for (const [label, answer] of answers) {
      expect(answer.headers.get('cache-control'), label).toBe('no-store');
    }
  });
});

describeEachDatabase('active API keys', (database) => {
  const roster = useRoster(database);

  const create = (caller: Caller, name = 'many') =>
    roster.api(caller.key, 'POST', '/v2/api-keys', { key_type: 'user', name });
  const refresh = (key: string, id: string, body: unknown = {}) =>
    roster.api(key, 'POST', `/v2/api-keys/${id}/refresh`, body);
  const activeKeys = async (caller: Caller) =>
    (await roster.api(caller.key, 'GET', '/v2/api-keys?limit=100')).body.api_keys as {
      id: string;
      name: string;
      expires_at?: string;
    }[];

  it('a user holds at most 100: past it a create is a 409 saying so, however many are asked for at once', async () => {
    const admin = await roster.newAccount(); // holds its bootstrap key
    for (let batch = 0; batch < 8; batch++) {
      const made = await Promise.all(Array.from({ length: 10 }, () => create(admin)));
      expect(made.map((answer) => answer.status)).toEqual(Array<number>(10).fill(201));
    }
    // 81 keys; 30 more at once: 19 fit.
    const raced = await Promise.all(Array.from({ length: 30 }, () => create(admin)));
    const statuses = raced.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...Array<number>(19).fill(201), ...Array<number>(11).fill(409)]);
    expect((await activeKeys(admin)).length).toBe(100);

    const over = await create(admin);
    expect(over.status).toBe(409);
    expect(over.body.detail).toMatch(/at most 100 active API keys/);
    await expect(
      mintKeyForUser(roster.server.deps, { email: admin.email, accountId: admin.accountId }),
    ).rejects.toThrow(Conflict);

    // A refresh with a grace period would make 101 working keys; without one it replaces.
    const some = raced.find((answer) => answer.status === 201)!.body;
    const graced = await refresh(admin.key, some.id, { grace_period_seconds: 60 });
    expect(graced.status).toBe(409);
    expect(graced.body.detail).toMatch(/at most 100 active API keys/);
    expect((await refresh(admin.key, some.id)).status).toBe(200);

    // Revoking one makes room for one.
    const keys = await activeKeys(admin);
    const last = keys[keys.length - 1]!;
    expect((await roster.api(admin.key, 'PUT', `/v2/api-keys/${last.id}/revoke`)).status).toBe(204);
    expect((await create(admin)).status).toBe(201);
    expect((await create(admin)).status).toBe(409);
    await checkInvariants(roster.server.deps.db, { now: roster.clock.now() });
  });

  it('a key in its grace period is refreshed already: twenty refreshes at once make one replacement, the rest are 409', async () => {
    const admin = await roster.newAccount();
    const old = (await create(admin, 'raced in grace')).body;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => refresh(admin.key, old.id, { grace_period_seconds: 600 })),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(19).fill(409)]);
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect(answer.body.detail).toMatch(/refreshed already and stops working at/);
    }
    const named = (await activeKeys(admin)).filter((key) => key.name === 'raced in grace');
    // The old key, until its grace period ends, and its one replacement.
    expect(named.map((key) => key.id).sort()).toEqual(
      [old.id, answers.find((a) => a.status === 200)!.body.id].sort(),
    );
    // And later, one at a time, still 409.
    expect((await refresh(admin.key, old.id)).status).toBe(409);
    await checkInvariants(roster.server.deps.db, { now: roster.clock.now() });
  });

  it('the listing shows when a key in its grace period stops working, in expires_at', async () => {
    const admin = await roster.newAccount();
    const unbounded = (await create(admin, 'unbounded')).body;
    const before = roster.clock.now();
    expect((await refresh(admin.key, unbounded.id, { grace_period_seconds: 600 })).status).toBe(
      200,
    );
    const after = roster.clock.now();

    const soon = new Date(roster.clock.now() + 300_000).toISOString();
    const expiring = (
      await roster.api(admin.key, 'POST', '/v2/api-keys', {
        key_type: 'user',
        name: 'expiring',
        expires_at: soon,
      })
    ).body;
    expect((await refresh(admin.key, expiring.id, { grace_period_seconds: 600 })).status).toBe(200);

    const keys = await activeKeys(admin);
    const ends = Date.parse(keys.find((key) => key.id === unbounded.id)!.expires_at!);
    expect(ends).toBeGreaterThanOrEqual(before + 600_000 - 1000);
    expect(ends).toBeLessThanOrEqual(after + 600_000 + 1000);
    // Its own expiry comes first.
    expect(keys.find((key) => key.id === expiring.id)!.expires_at).toBe(soon);
  });
});
