/** The API keys section of the contract, over HTTP, on both databases. */
import { describe, expect, it } from 'vitest';
import { API_KEY_PREFIX } from '../../src/auth/secrets.js';
import { encodeId } from '../../src/http/global-id.js';
import {
  describeEachDatabase,
  type ApiResponse,
  type Caller,
  useRoster,
} from '../support/roster.js';

const HOUR = 3600 * 1000;

describeEachDatabase('API keys', (database) => {
  // This suite moves its server's clock: the server has a database of its own (as each has), so
  // its worker, with a clock in the future, takes no other test file's email.
  const roster = useRoster(database);

  const create = (caller: Caller, body: Record<string, unknown> = {}) =>
    roster.api(caller.key, 'POST', '/v2/api-keys', { key_type: 'user', name: 'ci', ...body });
  const list = (caller: Caller, query = '') =>
    roster.api(caller.key, 'GET', `/v2/api-keys${query}`);
  const refresh = (key: string, id: string, body: unknown = {}) =>
    roster.api(key, 'POST', `/v2/api-keys/${id}/refresh`, body);
  const revoke = (key: string, id: string) => roster.api(key, 'PUT', `/v2/api-keys/${id}/revoke`);
  /** Whether a key is accepted: 200 on a route every developer may call. */
  const works = async (key: string) => (await roster.api(key, 'GET', '/v2/api-keys')).status;
  const inFuture = (ms: number) => new Date(roster.clock.now() + ms).toISOString();

  async function created(caller: Caller, body: Record<string, unknown> = {}) {
    const response = await create(caller, body);
    expect(response.status).toBe(201);
    return response.body as Record<string, string> & {
      key: string;
      id: string;
      redacted_key: string;
      created_at: string;
    };
  }

  function expectProblem(response: ApiResponse, status: number, detail?: RegExp) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status, instance: expect.stringContaining('/v2/') });
    if (detail) expect(response.body.detail).toMatch(detail);
  }

  describe('create', () => {
    it('answers 201 with the ApiKey and its secret, shown once', async () => {
      const admin = await roster.newAccount();
      const expiresAt = inFuture(30 * 24 * HOUR);
      const before = roster.clock.now();
      const key = await created(admin, {
        name: 'deploy bot',
        description: 'used by CI',
        expires_at: expiresAt,
      });
      expect(key).toMatchObject({
        name: 'deploy bot',
        description: 'used by CI',
        key_type: 'user',
        status: 'active',
        expires_at: expiresAt,
        created_by_user_id: admin.userId,
      });
      expect(Object.keys(key).sort()).toEqual([
        'created_at',
        'created_by_user_id',
        'description',
        'expires_at',
        'id',
        'key',
        'key_type',
        'name',
        'redacted_key',
        'status',
      ]);
      expect(Date.parse(key.created_at)).toBeGreaterThanOrEqual(before - 1);
      expect(key.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(await works(key.key)).toBe(200);
    });

    it('the secret starts with the fixed prefix, and redacted_key shows the prefix and the last 4 characters', async () => {
      const admin = await roster.newAccount();
      const key = await created(admin);
      expect(key.key.startsWith(API_KEY_PREFIX)).toBe(true);
      expect(key.key.length).toBeGreaterThanOrEqual(API_KEY_PREFIX.length + 40);
      expect(key.redacted_key.startsWith(API_KEY_PREFIX)).toBe(true);
      expect(key.redacted_key.endsWith(key.key.slice(-4))).toBe(true);
      expect(key.redacted_key).not.toContain(key.key.slice(API_KEY_PREFIX.length, -4));
    });

    it('the secret is never listed, and never shown again', async () => {
      const admin = await roster.newAccount();
      const key = await created(admin);
      for (const status of ['active', 'revoked']) {
        const response = await list(admin, `?status=${status}`);
        expect(JSON.stringify(response.body)).not.toContain(key.key);
        for (const listed of response.body.api_keys) expect(listed).not.toHaveProperty('key');
      }
      const listed = (await list(admin)).body.api_keys.find((k: { id: string }) => k.id === key.id);
      expect(listed).toEqual({ ...key, key: undefined });
    });

    it('makes the key for the caller, who may be a member', async () => {
      const admin = await roster.newAccount();
      const member = await roster.newCaller(admin, 'member');
      const key = await created(member);
      expect(key.created_by_user_id).toBe(member.userId);
      expect((await list(member)).body.api_keys.map((k: { id: string }) => k.id)).toContain(key.id);
      expect((await list(admin)).body.api_keys.map((k: { id: string }) => k.id)).not.toContain(
        key.id,
      );
      // The new key acts as the member: it may read users, not create them.
      const attempt = await roster.api(key.key, 'POST', '/v2/users', {
        name: 'X',
        email: 'x@example.com',
        role: { type: 'predefined', name: 'member' },
        invite_mode: 'none',
      });
      expect(attempt.status).toBe(403);
    });

    it('a key without expires_at never expires', async () => {
      const admin = await roster.newAccount();
      const key = await created(admin);
      expect(key).not.toHaveProperty('expires_at');
      roster.clock.advance(10 * 365 * 24 * HOUR);
      try {
        expect(await works(key.key)).toBe(200);
      } finally {
        roster.clock.advance(-10 * 365 * 24 * HOUR);
      }
    });

    it('service keys are a 400 saying they are not supported, in either spelling', async () => {
      const admin = await roster.newAccount();
      for (const keyType of ['service', 'SERVICE']) {
        expectProblem(await create(admin, { key_type: keyType }), 400, /[Ss]ervice keys/);
      }
      // As Arize's clients send one: with the bindings a service key needs.
      const withBindings = await create(admin, {
        key_type: 'SERVICE',
        account_role: { type: 'PREDEFINED', name: 'MEMBER' },
        organizations: [{ org_id: 'T3JnOjE=', spaces: [{ space_id: 'U3BhY2U6MQ==' }] }],
      });
      expectProblem(withBindings, 400, /[Ss]ervice keys are not supported/);
      expect((await list(admin)).body.api_keys).toHaveLength(1); // only the bootstrap key
    });

    it('expires_at in the past, or now, is a 400 naming the field', async () => {
      const admin = await roster.newAccount();
      for (const expiresAt of [inFuture(-1000), new Date(roster.clock.now()).toISOString()]) {
        const response = await create(admin, { expires_at: expiresAt });
        expectProblem(response, 400, /expires_at/);
      }
    });

    it('refuses a bad body with a 400: missing or blank name, unknown field, bad date', async () => {
      const admin = await roster.newAccount();
      const bad = [
        { key_type: 'user' },
        { key_type: 'user', name: '' },
        { key_type: 'user', name: '   ' },
        { key_type: 'user', name: 'x'.repeat(256) },
        { key_type: 'user', name: 'ci', scopes: ['all'] },
        { key_type: 'user', name: 'ci', expires_at: 'tomorrow' },
        { key_type: 'user', name: 'ci', expires_at: '2099-01-01T00:00:00' },
        { key_type: 'bot', name: 'ci' },
        { name: 'ci' },
      ];
      for (const body of bad) {
        const response = await roster.api(admin.key, 'POST', '/v2/api-keys', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.detail).toBeTruthy();
      }
      expect((await list(admin)).body.api_keys).toHaveLength(1);
    });

    it('trims the name and keeps the description as given', async () => {
      const admin = await roster.newAccount();
      const key = await created(admin, { name: '  nightly  ', description: ' jobs ' });
      expect(key.name).toBe('nightly');
      expect(key.description).toBe(' jobs ');
    });

    it('a key whose user is not a developer cannot create keys: 403', async () => {
      const admin = await roster.newAccount();
      const annotator = await roster.newCaller(admin, 'member', false);
      expectProblem(await create(annotator), 403);
    });
  });

  describe('list', () => {
    it("lists the caller's active keys by default, and revoked ones with status=revoked", async () => {
      const admin = await roster.newAccount();
      const kept = await created(admin, { name: 'kept' });
      const dropped = await created(admin, { name: 'dropped' });
      expect((await revoke(admin.key, dropped.id)).status).toBe(204);

      const active = await list(admin);
      expect(active.status).toBe(200);
      const activeIds = active.body.api_keys.map((k: { id: string }) => k.id);
      expect(activeIds).toContain(kept.id);
      expect(activeIds).not.toContain(dropped.id);
      expect(active.body.pagination).toEqual({ has_more: false });

      const revoked = await list(admin, '?status=revoked');
      expect(revoked.body.api_keys).toEqual([
        expect.objectContaining({ id: dropped.id, status: 'revoked', name: 'dropped' }),
      ]);
      const upper = await list(admin, '?status=REVOKED&key_type=USER');
      expect(upper.body.api_keys.map((k: { id: string }) => k.id)).toEqual([dropped.id]);
    });

    it('key_type=service lists nothing, since there are no service keys', async () => {
      const admin = await roster.newAccount();
      const response = await list(admin, '?key_type=service');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ api_keys: [], pagination: { has_more: false } });
    });

    it("user_id lets an admin list another user's keys", async () => {
      const admin = await roster.newAccount();
      const member = await roster.newCaller(admin, 'member');
      const memberKey = await created(member, { name: 'member key' });
      const response = await list(admin, `?user_id=${encodeURIComponent(member.userId)}`);
      expect(response.status).toBe(200);
      const names = response.body.api_keys.map((k: { name: string }) => k.name);
      expect(names).toContain('member key');
      expect(response.body.api_keys.map((k: { id: string }) => k.id)).toContain(memberKey.id);
      expect(names).not.toContain('bootstrap'); // the admin's own key
    });

    it('user_id from anyone but an admin is a 403, even their own id', async () => {
      const admin = await roster.newAccount();
      const member = await roster.newCaller(admin, 'member');
      expectProblem(await list(member, `?user_id=${encodeURIComponent(admin.userId)}`), 403);
      expectProblem(await list(member, `?user_id=${encodeURIComponent(member.userId)}`), 403);
    });

    it("user_id never reaches another account's keys", async () => {
      const admin = await roster.newAccount();
      const other = await roster.newAccount();
      const response = await list(admin, `?user_id=${encodeURIComponent(other.userId)}`);
      expect(response.status).toBe(200);
      expect(response.body.api_keys).toEqual([]);
      const garbage = await list(admin, '?user_id=not-an-id');
      expect(garbage.body.api_keys).toEqual([]);
    });

    it('paginates in created_at order with an opaque cursor', async () => {
      const admin = await roster.newAccount();
      const ids = [(await list(admin)).body.api_keys[0].id as string];
      for (let i = 0; i < 4; i++) {
        roster.clock.advance(1);
        ids.push((await created(admin, { name: `key ${i}` })).id);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const query = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await list(admin, query);
        expect(page.status).toBe(200);
        expect(page.body.api_keys.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.api_keys.map((k: { id: string }) => k.id));
        const { has_more, next_cursor } = page.body.pagination;
        expect(has_more).toBe(next_cursor !== undefined);
        cursor = next_cursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(ids);
      expect(pages).toBe(3);
    });

    it('a malformed cursor or an out-of-range limit is a 400', async () => {
      const admin = await roster.newAccount();
      expectProblem(await list(admin, '?cursor=not-a-cursor!'), 400, /cursor/);
      expectProblem(await list(admin, '?cursor=W10'), 400, /cursor/);
      expectProblem(await list(admin, '?limit=0'), 400);
      expectProblem(await list(admin, '?limit=101'), 400);
      expectProblem(await list(admin, '?status=expired'), 400);
    });
  });

  describe('refresh', () => {
    it('issues a replacement with the same name, description and type, and revokes the old key', async () => {
      const admin = await roster.newAccount();
      const old = await created(admin, { name: 'ci', description: 'nightly' });
      const response = await refresh(admin.key, old.id);
      expect(response.status).toBe(200);
      const fresh = response.body;
      expect(fresh).toMatchObject({
        name: 'ci',
        description: 'nightly',
        key_type: 'user',
        status: 'active',
        created_by_user_id: admin.userId,
      });
      expect(fresh.id).not.toBe(old.id);
      expect(fresh.key).not.toBe(old.key);
      expect(fresh.key.startsWith(API_KEY_PREFIX)).toBe(true);
      expect(fresh.redacted_key.endsWith(fresh.key.slice(-4))).toBe(true);

      expectProblem(await roster.api(old.key, 'GET', '/v2/api-keys'), 401);
      expect(await works(fresh.key)).toBe(200);
      const revoked = await list(admin, '?status=revoked');
      expect(revoked.body.api_keys).toEqual([
        expect.objectContaining({ id: old.id, status: 'revoked' }),
      ]);
    });

    it('without expires_at the new key keeps the old expiry; without an old expiry, none', async () => {
      const admin = await roster.newAccount();
      const expiresAt = inFuture(7 * 24 * HOUR);
      const old = await created(admin, { expires_at: expiresAt });
      const fresh = await refresh(admin.key, old.id, {});
      expect(fresh.status).toBe(200);
      expect(fresh.body.expires_at).toBe(expiresAt);

      const forever = await created(admin);
      const freshForever = await refresh(admin.key, forever.id);
      expect(freshForever.body).not.toHaveProperty('expires_at');
    });

    it('an earlier expires_at applies; a later one than the old expiry is a 422', async () => {
      const admin = await roster.newAccount();
      const old = await created(admin, { expires_at: inFuture(7 * 24 * HOUR) });
      expectProblem(await refresh(admin.key, old.id, { expires_at: inFuture(8 * 24 * HOUR) }), 422);
      expect(await works(old.key)).toBe(200); // a refused refresh changes nothing
      const earlier = inFuture(24 * HOUR);
      const fresh = await refresh(admin.key, old.id, { expires_at: earlier });
      expect(fresh.status).toBe(200);
      expect(fresh.body.expires_at).toBe(earlier);

      const forever = await created(admin);
      const anyExpiry = await refresh(admin.key, forever.id, { expires_at: inFuture(HOUR) });
      expect(anyExpiry.status).toBe(200);
    });

    it('expires_at in the past is a 400', async () => {
      const admin = await roster.newAccount();
      const old = await created(admin);
      expectProblem(await refresh(admin.key, old.id, { expires_at: inFuture(-HOUR) }), 400);
      expect(await works(old.key)).toBe(200);
    });

    it('grace_period_seconds keeps the old key working that long, then it stops', async () => {
      const admin = await roster.newAccount();
      const old = await created(admin);
      const response = await refresh(admin.key, old.id, { grace_period_seconds: 600 });
      expect(response.status).toBe(200);
      expect(await works(old.key)).toBe(200);
      expect(await works(response.body.key)).toBe(200);
      // The old key's listing says when it stops working; it cannot be refreshed again.
      const listed = (await list(admin)).body.api_keys.find((k: { id: string }) => k.id === old.id);
      expect(listed).toMatchObject({ status: 'active', expires_at: expect.any(String) });
      expect(Date.parse(listed.expires_at) - roster.clock.now()).toBeGreaterThan(590_000);
      expect(Date.parse(listed.expires_at) - roster.clock.now()).toBeLessThanOrEqual(600_000);
      expectProblem(await refresh(admin.key, old.id), 409, /refreshed already/);
      roster.clock.advance(599_000);
      try {
        expect(await works(old.key)).toBe(200);
        roster.clock.advance(2000);
        expect(await works(old.key)).toBe(401);
        expect(await works(response.body.key)).toBe(200);
      } finally {
        roster.clock.advance(-601_000);
      }
    });

    it('grace_period_seconds outside 0-86400 is a 400', async () => {
      const admin = await roster.newAccount();
      const old = await created(admin);
      for (const grace of [-1, 86401, 1.5, 'soon']) {
        expectProblem(await refresh(admin.key, old.id, { grace_period_seconds: grace }), 400);
      }
      expect(await works(old.key)).toBe(200);
    });

    it('works with no body at all', async () => {
      const admin = await roster.newAccount();
      const old = await created(admin);
      const response = await roster.api(admin.key, 'POST', `/v2/api-keys/${old.id}/refresh`);
      expect(response.status).toBe(200);
      expect(response.body.key).toBeTruthy();
    });

    it("an admin may refresh a member's key; the new key still acts as the member", async () => {
      const admin = await roster.newAccount();
      const member = await roster.newCaller(admin, 'member');
      const old = await created(member);
      const response = await refresh(admin.key, old.id);
      expect(response.status).toBe(200);
      const asMember = await roster.api(response.body.key, 'POST', '/v2/users', {
        name: 'X',
        email: 'x@example.com',
        role: { type: 'predefined', name: 'member' },
        invite_mode: 'none',
      });
      expect(asMember.status).toBe(403);
      const memberKeys = await list(member);
      expect(memberKeys.body.api_keys.map((k: { id: string }) => k.id)).toContain(response.body.id);
    });

    it('anyone but the creator or an admin gets 404, as for unknown and malformed ids', async () => {
      const admin = await roster.newAccount();
      const member = await roster.newCaller(admin, 'member');
      const otherMember = await roster.newCaller(admin, 'member');
      const outsider = await roster.newAccount();
      const key = await created(member);
      expectProblem(await refresh(otherMember.key, key.id), 404);
      expectProblem(await refresh(outsider.key, key.id), 404);
      expectProblem(
        await refresh(admin.key, encodeId('ApiKey', '01ARZ3NDEKTSV4RRFFQ69G5FAV')),
        404,
      );
      expectProblem(await refresh(admin.key, 'garbage'), 404);
      expectProblem(await refresh(admin.key, member.userId), 404);
      expect(await works(key.key)).toBe(200);
    });

    it('concurrent refreshes of one key issue exactly one replacement; the others are refused', async () => {
      const admin = await roster.newAccount();
      const old = await created(admin, { name: 'raced' });
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => refresh(admin.key, old.id)),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, ...Array<number>(9).fill(400)]);
      const active = (await list(admin)).body.api_keys.filter(
        (k: { name: string }) => k.name === 'raced',
      );
      expect(active).toHaveLength(1);
      expect(active[0].id).toBe(responses.find((r) => r.status === 200)!.body.id);
    });

    it('a revoked or expired key cannot be refreshed: 400', async () => {
      const admin = await roster.newAccount();
      const revoked = await created(admin);
      await revoke(admin.key, revoked.id);
      expectProblem(await refresh(admin.key, revoked.id), 400, /revoked/);

      const expiring = await created(admin, { expires_at: inFuture(HOUR) });
      roster.clock.advance(HOUR + 1000);
      try {
        expectProblem(await refresh(admin.key, expiring.id), 400, /expired/);
      } finally {
        roster.clock.advance(-(HOUR + 1000));
      }
    });
  });

  describe('revoke', () => {
    it('answers 204, and 204 again; the key is refused at once with 401', async () => {
      const admin = await roster.newAccount();
      const key = await created(admin);
      expect(await works(key.key)).toBe(200);
      const first = await revoke(admin.key, key.id);
      expect(first.status).toBe(204);
      expect(first.body).toBeUndefined();
      expectProblem(await roster.api(key.key, 'GET', '/v2/api-keys'), 401, /revoked/);
      expect((await revoke(admin.key, key.id)).status).toBe(204);
    });

    it('a key may revoke itself', async () => {
      const admin = await roster.newAccount();
      const key = await created(admin);
      expect((await revoke(key.key, key.id)).status).toBe(204);
      expect(await works(key.key)).toBe(401);
    });

    it('ends a grace period at once', async () => {
      const admin = await roster.newAccount();
      const old = await created(admin);
      await refresh(admin.key, old.id, { grace_period_seconds: 3600 });
      expect(await works(old.key)).toBe(200);
      expect((await revoke(admin.key, old.id)).status).toBe(204);
      expect(await works(old.key)).toBe(401);
    });

    it('creator or admin only; anyone else gets 404 and the key keeps working', async () => {
      const admin = await roster.newAccount();
      const member = await roster.newCaller(admin, 'member');
      const otherMember = await roster.newCaller(admin, 'member');
      const outsider = await roster.newAccount();
      const key = await created(member);
      expectProblem(await revoke(otherMember.key, key.id), 404);
      expectProblem(await revoke(outsider.key, key.id), 404);
      expectProblem(await revoke(member.key, 'garbage'), 404);
      expect(await works(key.key)).toBe(200);
      expect((await revoke(admin.key, key.id)).status).toBe(204);
      expect(await works(key.key)).toBe(401);
    });
  });

  describe('using a key', () => {
    it('an expired key is a 401', async () => {
      const admin = await roster.newAccount();
      const key = await created(admin, { expires_at: inFuture(HOUR) });
      expect(await works(key.key)).toBe(200);
      roster.clock.advance(HOUR);
      try {
        expectProblem(await roster.api(key.key, 'GET', '/v2/api-keys'), 401, /expired/);
      } finally {
        roster.clock.advance(-HOUR);
      }
    });

    it('missing, malformed and unknown keys are a 401', async () => {
      expectProblem(await roster.api(undefined, 'GET', '/v2/api-keys'), 401);
      expectProblem(
        await roster.api(undefined, 'GET', '/v2/api-keys', undefined, { authorization: 'Basic x' }),
        401,
      );
      expectProblem(
        await roster.api(`${API_KEY_PREFIX}unknownunknown`, 'GET', '/v2/api-keys'),
        401,
      );
    });

    it('last_used_at is absent on a new key and set once the key is used', async () => {
      const admin = await roster.newAccount();
      const key = await created(admin);
      expect(key).not.toHaveProperty('last_used_at');
      const before = roster.clock.now();
      expect(await works(key.key)).toBe(200);
      const listed = (await list(admin)).body.api_keys.find((k: { id: string }) => k.id === key.id);
      expect(Date.parse(listed.last_used_at)).toBeGreaterThanOrEqual(before - 1);
      expect(Date.parse(listed.last_used_at)).toBeLessThanOrEqual(roster.clock.now());
    });

    it("deleting a user stops that user's keys at once", async () => {
      const admin = await roster.newAccount();
      const member = await roster.newCaller(admin, 'member');
      const key = await created(member);
      expect((await roster.api(admin.key, 'DELETE', `/v2/users/${member.userId}`)).status).toBe(
        204,
      );
      expect(await works(key.key)).toBe(401);
      expect(await works(member.key)).toBe(401);
    });
  });
});
