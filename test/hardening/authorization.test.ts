/**
 * Every caller kind × every /v2 endpoint, asserted against one table; and every endpoint with
 * another account's ids, which must be indistinguishable from unknown ids.
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { decodeId } from '../../src/http/global-id.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { checkInvariants } from './invariants.js';

type Kind =
  | 'admin'
  | 'member'
  | 'annotator'
  | 'non-developer'
  | 'deleted user'
  | 'revoked key'
  | 'expired key'
  | 'no key';
type Endpoint =
  | 'create user'
  | 'list users'
  | 'get user'
  | 'rename user'
  | 'set is_developer'
  | 'delete user'
  | 'resend invitation'
  | 'reset password'
  | 'create api key'
  | 'list api keys'
  | "list another user's keys"
  | 'refresh own key'
  | 'revoke own key';

const ENDPOINTS: Endpoint[] = [
  'create user',
  'list users',
  'get user',
  'rename user',
  'set is_developer',
  'delete user',
  'resend invitation',
  'reset password',
  'create api key',
  'list api keys',
  "list another user's keys",
  'refresh own key',
  'revoke own key',
];

/** The expected status of each endpoint for the three roles. */
const BY_ROLE: Record<Endpoint, [admin: number, member: number, annotator: number]> = {
  'create user': [201, 403, 403],
  'list users': [200, 200, 403],
  'get user': [200, 200, 404],
  'rename user': [200, 403, 403],
  'set is_developer': [200, 403, 403],
  'delete user': [204, 403, 403],
  'resend invitation': [204, 403, 403],
  'reset password': [204, 403, 403],
  'create api key': [201, 201, 201],
  'list api keys': [200, 200, 200],
  "list another user's keys": [200, 403, 403],
  'refresh own key': [200, 200, 200],
  'revoke own key': [204, 204, 204],
};

/** Callers whose key must not work at all, whatever the endpoint. */
const REFUSED: Partial<Record<Kind, number>> = {
  'non-developer': 403,
  'deleted user': 401,
  'revoked key': 401,
  'expired key': 401,
  'no key': 401,
};

function expected(kind: Kind, endpoint: Endpoint): number {
  const refused = REFUSED[kind];
  if (refused) return refused;
  const [admin, member, annotator] = BY_ROLE[endpoint];
  return kind === 'admin' ? admin : kind === 'member' ? member : annotator;
}

describeEachDatabase('authorization matrix', (database) => {
  const roster = useRoster(database);
  let owner: Caller;
  const callers = new Map<Kind, Caller | undefined>();

  beforeAll(async () => {
    owner = await roster.newAccount();
    callers.set('admin', await roster.newCaller(owner, 'admin'));
    callers.set('member', await roster.newCaller(owner, 'member'));
    callers.set('annotator', await roster.newCaller(owner, 'annotator'));
    callers.set('non-developer', await roster.newCaller(owner, 'member', false));
    const deleted = await roster.newCaller(owner, 'member');
    await roster.api(owner.key, 'DELETE', `/v2/users/${deleted.userId}`);
    callers.set('deleted user', deleted);
    const revoked = await roster.newCaller(owner, 'member');
    const revokedKeys = await roster.api(revoked.key, 'GET', '/v2/api-keys');
    await roster.api(revoked.key, 'PUT', `/v2/api-keys/${revokedKeys.body.api_keys[0].id}/revoke`);
    callers.set('revoked key', revoked);
    const expiring = await roster.newCaller(owner, 'member');
    const short = await roster.api(expiring.key, 'POST', '/v2/api-keys', {
      key_type: 'user',
      name: 'short-lived',
      expires_at: new Date(roster.clock.now() + 60_000).toISOString(),
    });
    callers.set('expired key', { ...expiring, key: short.body.key });
    callers.set('no key', undefined);
  });
  // The invariants hold after every scenario, whatever it did.
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  /** Makes what the endpoint acts on, then calls it as `caller`. */
  async function call(endpoint: Endpoint, caller: Caller | undefined) {
    const key = caller?.key;
    const api = roster.api;
    const newUser = async (mode: string) =>
      (
        await api(owner.key, 'POST', '/v2/users', {
          name: 'Target',
          email: uniqueEmail(),
          role: { type: 'predefined', name: 'member' },
          invite_mode: mode,
        })
      ).body.id as string;
    switch (endpoint) {
      case 'create user':
        return api(key, 'POST', '/v2/users', {
          name: 'New',
          email: uniqueEmail(),
          role: { type: 'predefined', name: 'member' },
          invite_mode: 'none',
        });
      case 'list users':
        return api(key, 'GET', '/v2/users');
      case 'get user':
        return api(key, 'GET', `/v2/users/${owner.userId}`);
      case 'rename user':
        return api(key, 'PATCH', `/v2/users/${await newUser('none')}`, { name: 'Renamed' });
      case 'set is_developer':
        return api(key, 'PATCH', `/v2/users/${await newUser('none')}`, { is_developer: false });
      case 'delete user':
        return api(key, 'DELETE', `/v2/users/${await newUser('none')}`);
      case 'resend invitation':
        return api(key, 'POST', `/v2/users/${await newUser('email_link')}/resend-invitation`);
      case 'reset password': {
        const id = await newUser('none');
        await roster.server.deps.db.kysely
          .updateTable('users')
          .set({ password_hash: await hashPassword('correct horse battery staple') })
          .where('id', '=', decodeId('User', id)!)
          .execute();
        return api(key, 'POST', `/v2/users/${id}/reset-password`);
      }
      case 'create api key':
        return api(key, 'POST', '/v2/api-keys', { key_type: 'user', name: 'matrix' });
      case 'list api keys':
        return api(key, 'GET', '/v2/api-keys');
      case "list another user's keys":
        return api(key, 'GET', `/v2/api-keys?user_id=${encodeURIComponent(owner.userId)}`);
      case 'refresh own key':
      case 'revoke own key': {
        // These two come last for each caller, so revoking its key ends nothing the table still needs.
        const minted = caller
          ? await roster.server.deps.db.kysely
              .selectFrom('api_keys')
              .select('id')
              .where('user_id', '=', decodeId('User', caller.userId)!)
              .executeTakeFirst()
          : undefined;
        const keyId = minted
          ? Buffer.from(`ApiKey:${minted.id}`).toString('base64')
          : 'QXBpS2V5OjAx';
        return endpoint === 'refresh own key'
          ? api(key, 'POST', `/v2/api-keys/${keyId}/refresh`, { grace_period_seconds: 3600 })
          : api(key, 'PUT', `/v2/api-keys/${keyId}/revoke`);
      }
    }
  }

  const KINDS: Kind[] = [
    'admin',
    'member',
    'annotator',
    'non-developer',
    'deleted user',
    'revoked key',
    'expired key',
    'no key',
  ];
  const cases = KINDS.flatMap((kind) => ENDPOINTS.map((endpoint) => [kind, endpoint] as const));

  it.each(cases)('%s × %s', async (kind, endpoint) => {
    if (kind === 'expired key') roster.clock.advance(120_000);
    try {
      const caller = callers.get(kind);
      const response = await call(endpoint, caller);
      expect(response.status, JSON.stringify(response.body)).toBe(expected(kind, endpoint));
      if (response.status >= 400) {
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(response.body.status).toBe(response.status);
      }
    } finally {
      if (kind === 'expired key') roster.clock.advance(-120_000);
    }
  });

  it("another account's ids answer exactly like unknown ids", async () => {
    const stranger = await roster.newAccount();
    const theirs = (
      await roster.api(owner.key, 'POST', '/v2/users', {
        name: 'T',
        email: uniqueEmail(),
        role: { type: 'predefined', name: 'member' },
        invite_mode: 'email_link',
      })
    ).body.id;
    const unknown = Buffer.from('User:01ARZ3NDEKTSV4RRFFQ69G5FAV').toString('base64');
    const ownerKeys = await roster.api(owner.key, 'GET', '/v2/api-keys');
    const theirKey = ownerKeys.body.api_keys[0].id;
    const unknownKey = Buffer.from('ApiKey:01ARZ3NDEKTSV4RRFFQ69G5FAV').toString('base64');
    const requests: Array<[string, (id: string) => string, unknown?]> = [
      ['GET', (id) => `/v2/users/${id}`],
      ['PATCH', (id) => `/v2/users/${id}`, { name: 'x' }],
      ['DELETE', (id) => `/v2/users/${id}`],
      ['POST', (id) => `/v2/users/${id}/resend-invitation`],
      ['POST', (id) => `/v2/users/${id}/reset-password`],
    ];
    for (const [method, path, body] of requests) {
      const a = await roster.api(stranger.key, method, path(theirs), body);
      const b = await roster.api(stranger.key, method, path(unknown), body);
      expect(a.status, `${method} ${path('{id}')}`).toBe(404);
      expect({ ...a.body, instance: undefined }).toEqual({ ...b.body, instance: undefined });
    }
    for (const [method, path, body] of [
      ['POST', (id: string) => `/v2/api-keys/${id}/refresh`, {}],
      ['PUT', (id: string) => `/v2/api-keys/${id}/revoke`, undefined],
    ] as const) {
      const a = await roster.api(stranger.key, method, path(theirKey), body);
      const b = await roster.api(stranger.key, method, path(unknownKey), body);
      expect(a.status).toBe(404);
      expect({ ...a.body, instance: undefined }).toEqual({ ...b.body, instance: undefined });
    }
    const list = await roster.api(
      stranger.key,
      'GET',
      `/v2/api-keys?user_id=${encodeURIComponent(owner.userId)}`,
    );
    expect(list.body.api_keys).toEqual([]);
    expect((await roster.api(owner.key, 'GET', `/v2/users/${theirs}`)).status).toBe(200);
    await checkInvariants(roster.server.deps.db);
  });
});
