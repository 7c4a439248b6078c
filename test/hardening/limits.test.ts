/**
 * Limits an attacker must not get around: the rate limit (no key, a wrong key and a fresh key
 * all count), and no /v2 answer kept in a cache.
 */
import http from 'node:http';
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintKeyForUser } from '../../src/accounts/service.js';
import { API_KEY_PREFIX } from '../../src/auth/secrets.js';
import {
  describeEachDatabase,
  startRoster,
  type ApiResponse,
  type Caller,
  type TestRoster,
} from '../support/roster.js';

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
  let roster: TestRoster;
  beforeAll(async () => {
    roster = await startRoster(database, { env: { ROSTER_API_RATE_LIMIT: '5' } });
  });
  afterAll(() => roster.close());

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
  let roster: TestRoster;
  beforeAll(async () => {
    roster = await startRoster('sqlite', { env: { ROSTER_API_RATE_LIMIT: '0' } });
  });
  afterAll(() => roster.close());

  it('nothing is limited, failed requests included', async () => {
    const address = newAddress();
    for (let i = 0; i < 30; i++) {
      expect((await fromAddress(roster, address)).status).toBe(401);
    }
  });
});

describeEachDatabase('no /v2 answer is cached', (database) => {
  let roster: TestRoster;
  let admin: Caller;
  beforeAll(async () => {
    roster = await startRoster(database);
    admin = await roster.newAccount();
  });
  afterAll(() => roster.close());

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
