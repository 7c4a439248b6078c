/**
 * The audit log through the API: an entry for every change the API makes (and none for what
 * changes nothing or is refused), no secret in any entry, and GET /v2/audit-logs with its
 * filters, pagination and admin-only access; the official SDK's listAuditLogs unmodified.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthorizationError, createClient, listAuditLogs } from '@arizeai/ax-client';
import { sha256 } from '../../src/auth/secrets.js';
import { decodeId } from '../../src/http/global-id.js';
import { checkInvariants } from '../hardening/invariants.js';
import {
  describeEachDatabase,
  useRoster,
  uniqueEmail,
  type Caller,
  type TestRoster,
} from '../support/roster.js';

process.env.DISABLE_PRERELEASE_WARNING = 'true';

const DAY = 24 * 3600 * 1000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = any;

/** The account's entries, newest first, every page followed. */
async function allEntries(roster: TestRoster, admin: Caller, query = ''): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const separator = query ? '&' : '';
    const page = await roster.api(
      admin.key,
      'GET',
      `/v2/audit-logs?limit=100${separator}${query}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    out.push(...page.body.logs);
    if (!page.body.pagination.has_more) return out;
    cursor = page.body.pagination.next_cursor;
  }
}

function keyIdOf(roster: TestRoster, key: string) {
  return roster.server.deps.db.kysely
    .selectFrom('api_keys')
    .select('id')
    .where('key_hash', '=', sha256(key))
    .executeTakeFirstOrThrow()
    .then((row) => row.id);
}

describeEachDatabase('audit log', (database) => {
  const roster = useRoster(database);
  let admin: Caller;
  let adminKeyId: string;
  const secrets: string[] = [];

  beforeAll(async () => {
    admin = await roster.newAccount();
    secrets.push(admin.key);
    adminKeyId = Buffer.from(`ApiKey:${await keyIdOf(roster, admin.key)}`).toString('base64');
  });

  const member = (email: string, mode = 'none') => ({
    name: 'Grace Hopper',
    email,
    role: { type: 'predefined', name: 'member' },
    invite_mode: mode,
  });

  /** Runs `change` and returns the entries it added (newest first). */
  async function entriesOf(change: () => Promise<unknown>, caller = admin): Promise<Entry[]> {
    const before = await allEntries(roster, caller);
    await change();
    const after = await allEntries(roster, caller);
    return after.slice(0, after.length - before.length);
  }

  describe('every change through the API writes one entry', () => {
    it('creating a user: who, from where, with which key, the body without secrets, the target', async () => {
      const email = uniqueEmail();
      let id = '';
      const added = await entriesOf(async () => {
        const created = await roster.api(admin.key, 'POST', '/v2/users', member(email));
        expect(created.status).toBe(201);
        id = created.body.id;
      });
      expect(added).toHaveLength(1);
      const entry = added[0];
      expect(entry).toMatchObject({
        user_id: admin.userId,
        ip: '127.0.0.1',
        operation_type: 'mutation',
        operation_name: 'createUser',
        operation_text: 'POST /v2/users',
        api_key_id: adminKeyId,
        target: { type: 'User', id },
        changes: null,
      });
      expect(decodeId('AuditLog', entry.id)).toBeDefined();
      expect(JSON.parse(entry.variables)).toEqual(member(email));
      expect(Date.parse(entry.created_at)).toBeLessThanOrEqual(roster.clock.now());
    });

    it('a temporary password is never in an entry', async () => {
      const email = uniqueEmail();
      let password = '';
      const added = await entriesOf(async () => {
        const created = await roster.api(
          admin.key,
          'POST',
          '/v2/users',
          member(email, 'temporary_password'),
        );
        expect(created.status).toBe(201);
        password = created.body.temporary_password;
      });
      secrets.push(password);
      expect(added).toHaveLength(1);
      expect(JSON.stringify(added)).not.toContain(password);
    });

    it('creating an already invited user changes nothing and writes nothing; activating it writes its changes', async () => {
      const email = uniqueEmail();
      const created = await roster.api(admin.key, 'POST', '/v2/users', member(email, 'email_link'));
      expect(created.status).toBe(201);
      expect(
        await entriesOf(async () => {
          const again = await roster.api(
            admin.key,
            'POST',
            '/v2/users',
            member(email, 'email_link'),
          );
          expect(again.status).toBe(200);
        }),
      ).toEqual([]);
      const activated = await entriesOf(async () => {
        const again = await roster.api(admin.key, 'POST', '/v2/users', {
          ...member(email, 'none'),
          name: 'Grace B. Hopper',
        });
        expect(again.status).toBe(200);
      });
      expect(activated).toHaveLength(1);
      expect(activated[0]).toMatchObject({
        operation_name: 'createUser',
        changes: {
          before: { name: 'Grace Hopper', status: 'invited' },
          after: { name: 'Grace B. Hopper', status: 'active' },
        },
      });
    });

    it('updating a user records the fields changed, before and after; an update to the same values writes nothing', async () => {
      const created = await roster.api(admin.key, 'POST', '/v2/users', member(uniqueEmail()));
      const path = `/v2/users/${created.body.id}`;
      const added = await entriesOf(async () => {
        const patched = await roster.api(admin.key, 'PATCH', path, {
          name: 'Ada Lovelace',
          is_developer: false,
        });
        expect(patched.status).toBe(200);
      });
      expect(added).toHaveLength(1);
      expect(added[0]).toMatchObject({
        operation_name: 'updateUser',
        operation_text: `PATCH ${path}`,
        target: { type: 'User', id: created.body.id },
        changes: {
          before: { name: 'Grace Hopper', is_developer: true },
          after: { name: 'Ada Lovelace', is_developer: false },
        },
      });
      expect(
        await entriesOf(async () => {
          const same = await roster.api(admin.key, 'PATCH', path, { name: 'Ada Lovelace' });
          expect(same.status).toBe(200);
        }),
      ).toEqual([]);
    });

    it('deleting, resending an invitation and resetting a password: one entry each', async () => {
      const invited = await roster.api(
        admin.key,
        'POST',
        '/v2/users',
        member(uniqueEmail(), 'email_link'),
      );
      const resent = await entriesOf(async () => {
        const r = await roster.api(
          admin.key,
          'POST',
          `/v2/users/${invited.body.id}/resend-invitation`,
        );
        expect(r.status).toBe(204);
      });
      expect(resent.map((e) => e.operation_name)).toEqual(['resendUserInvitation']);
      expect(resent[0].operation_text).toBe(`POST /v2/users/${invited.body.id}/resend-invitation`);
      expect(resent[0].variables).toBeNull();

      const deleted = await entriesOf(async () => {
        expect((await roster.api(admin.key, 'DELETE', `/v2/users/${invited.body.id}`)).status).toBe(
          204,
        );
        // Deleting again changes nothing.
        expect((await roster.api(admin.key, 'DELETE', `/v2/users/${invited.body.id}`)).status).toBe(
          204,
        );
      });
      expect(deleted.map((e) => e.operation_name)).toEqual(['deleteUser']);
      expect(deleted[0].target).toEqual({ type: 'User', id: invited.body.id });
    });

    it('creating, refreshing and revoking an API key: one entry each, never the key', async () => {
      let keyId = '';
      const added = await entriesOf(async () => {
        const created = await roster.api(admin.key, 'POST', '/v2/api-keys', {
          key_type: 'user',
          name: 'ci',
        });
        expect(created.status).toBe(201);
        secrets.push(created.body.key);
        const refreshed = await roster.api(
          admin.key,
          'POST',
          `/v2/api-keys/${created.body.id}/refresh`,
          {
            grace_period_seconds: 60,
          },
        );
        expect(refreshed.status).toBe(200);
        secrets.push(refreshed.body.key);
        keyId = refreshed.body.id;
        expect((await roster.api(admin.key, 'PUT', `/v2/api-keys/${keyId}/revoke`)).status).toBe(
          204,
        );
        // Revoking again changes nothing.
        expect((await roster.api(admin.key, 'PUT', `/v2/api-keys/${keyId}/revoke`)).status).toBe(
          204,
        );
      });
      expect(added.map((e) => e.operation_name)).toEqual([
        'revokeApiKey',
        'refreshApiKey',
        'createApiKey',
      ]);
      expect(added[0].target).toEqual({ type: 'ApiKey', id: keyId });
      expect(added[1].changes.after).toEqual({ api_key_id: keyId });
      expect(JSON.parse(added[2].variables)).toEqual({ key_type: 'user', name: 'ci' });
    });

    it('roles: created, changed, held, given up and deleted, each with its entry and changes', async () => {
      const email = uniqueEmail();
      const user = await roster.api(admin.key, 'POST', '/v2/users', member(email));
      expect(user.status).toBe(201);
      let roleId = '';
      const added = await entriesOf(async () => {
        const role = await roster.api(admin.key, 'POST', '/v2/roles', {
          name: 'Auditors',
          permissions: ['user_read'],
        });
        expect(role.status, JSON.stringify(role.body)).toBe(201);
        roleId = role.body.id;
        const changed = await roster.api(admin.key, 'PATCH', `/v2/roles/${roleId}`, {
          description: 'Read only',
          permissions: ['user_read', 'user_update'],
        });
        expect(changed.status).toBe(200);
        const held = await roster.api(admin.key, 'PATCH', `/v2/users/${user.body.id}`, {
          role: { type: 'custom', id: roleId },
        });
        expect(held.status, JSON.stringify(held.body)).toBe(200);
        const back = await roster.api(admin.key, 'PATCH', `/v2/users/${user.body.id}`, {
          role: { type: 'predefined', name: 'member' },
        });
        expect(back.status).toBe(200);
        expect((await roster.api(admin.key, 'DELETE', `/v2/roles/${roleId}`)).status).toBe(204);
      });
      expect(added.map((e) => e.operation_name)).toEqual([
        'deleteRole',
        'updateUser',
        'updateUser',
        'updateRole',
        'createRole',
      ]);
      const [deleted, back, held, changed, created] = added;
      expect(created.target).toEqual({ type: 'Role', id: roleId });
      expect(deleted.target).toEqual({ type: 'Role', id: roleId });
      expect(changed.changes).toEqual({
        before: { description: null, permissions: ['USER_READ'] },
        after: { description: 'Read only', permissions: ['USER_READ', 'USER_UPDATE'] },
      });
      const custom = { type: 'custom', id: roleId };
      const memberRole = { type: 'predefined', name: 'member' };
      expect(held.changes).toEqual({ before: { role: memberRole }, after: { role: custom } });
      expect(back.changes).toEqual({ before: { role: custom }, after: { role: memberRole } });
      // Asking for what a role already is changes nothing, and writes nothing.
      expect(
        await entriesOf(async () => {
          const same = await roster.api(admin.key, 'PATCH', `/v2/users/${user.body.id}`, {
            role: { type: 'predefined', name: 'member' },
          });
          expect(same.status).toBe(200);
        }),
      ).toEqual([]);
    });

    it('a refused change writes nothing', async () => {
      const reader = await roster.newCaller(admin, 'member');
      secrets.push(reader.key);
      const before = await allEntries(roster, admin);
      expect(
        (await roster.api(reader.key, 'POST', '/v2/users', member(uniqueEmail()))).status,
      ).toBe(403);
      expect(
        (await roster.api(admin.key, 'POST', '/v2/users', { ...member(uniqueEmail()), name: ' ' }))
          .status,
      ).toBe(400);
      expect((await roster.api(admin.key, 'DELETE', `/v2/users/${admin.userId}`)).status).toBe(400);
      expect(await allEntries(roster, admin)).toEqual(before);
    });

    it('no secret is in any entry, and the chain is intact', async () => {
      await checkInvariants(roster.server.deps.db, { secrets, now: roster.clock.now() });
    });
  });

  describe('GET /v2/audit-logs', () => {
    let account: Caller;
    let other: Caller;
    const made: string[] = [];

    beforeAll(async () => {
      account = await roster.newAccount();
      other = await roster.newCaller(account, 'admin');
      for (let i = 0; i < 5; i++) {
        const caller = i % 2 === 0 ? account : other;
        const created = await roster.api(caller.key, 'POST', '/v2/users', member(uniqueEmail()));
        made.push(created.body.id);
      }
    });

    it('lists the account’s entries newest first, paginated by cursor', async () => {
      const all = await allEntries(roster, account);
      const first = await roster.api(account.key, 'GET', '/v2/audit-logs?limit=2');
      expect(first.body.logs).toEqual(all.slice(0, 2));
      expect(first.body.pagination).toEqual({ has_more: true, next_cursor: expect.any(String) });
      const second = await roster.api(
        account.key,
        'GET',
        `/v2/audit-logs?limit=2&cursor=${first.body.pagination.next_cursor}`,
      );
      expect(second.body.logs).toEqual(all.slice(2, 4));
      const times = all.map((e) => Date.parse(e.created_at));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // The five creates, and what set the account up (its bootstrap, the second admin and its key).
      expect(
        all
          .filter((e) => e.operation_name === 'createUser')
          .map((e) => e.target.id)
          .slice(0, 5),
      ).toEqual([...made].reverse());
      expect(all.at(-1)).toMatchObject({
        operation_name: 'bootstrapAccount',
        operation_text: 'cli bootstrap',
        user_id: null,
        ip: null,
      });
    });

    it('never shows another account’s entries', async () => {
      const mine = await allEntries(roster, account);
      const theirs = await allEntries(roster, admin);
      const ids = new Set(theirs.map((e) => e.id));
      expect(mine.some((e) => ids.has(e.id))).toBe(false);
    });

    it('filters by user_id and operation_type (either spelling); an unknown user matches nothing', async () => {
      const byOther = await allEntries(
        roster,
        account,
        `user_id=${encodeURIComponent(other.userId)}`,
      );
      expect(byOther.map((e) => e.target.id)).toEqual([made[3], made[1]]);
      expect(byOther.every((e) => e.user_id === other.userId)).toBe(true);
      const mutations = await allEntries(roster, account, 'operation_type=MUTATION');
      expect(mutations).toEqual(await allEntries(roster, account));
      expect(await allEntries(roster, account, 'operation_type=query')).toEqual([]);
      expect(await allEntries(roster, account, 'operation_type=subscription')).toEqual([]);
      expect(await allEntries(roster, account, 'user_id=bm9wZQ==')).toEqual([]);
    });

    it('start_time and end_time are inclusive; without start_time, the 30 days before end_time', async () => {
      const all = await allEntries(roster, account);
      const at = all[2].created_at;
      const upTo = await allEntries(roster, account, `end_time=${at}`);
      expect(upTo[0].created_at <= at).toBe(true);
      expect(upTo.some((e) => e.id === all[2].id)).toBe(true);
      const from = await allEntries(roster, account, `start_time=${at}`);
      expect(from.some((e) => e.id === all[2].id)).toBe(true);
      expect(from.every((e) => e.created_at >= at)).toBe(true);
      const later = new Date(Date.parse(all[0].created_at) + 31 * DAY).toISOString();
      expect(await allEntries(roster, account, `end_time=${later}`)).toEqual([]);
      const withStart = await allEntries(
        roster,
        account,
        `end_time=${later}&start_time=${new Date(Date.parse(all.at(-1).created_at)).toISOString()}`,
      );
      expect(withStart).toEqual(all);
    });

    it('answers 400 for a bad time, range, limit or cursor', async () => {
      const bad = [
        'start_time=yesterday',
        'end_time=2026-02-30T00:00:00Z',
        'start_time=2026-05-02T00:00:00Z&end_time=2026-05-01T00:00:00Z',
        'limit=0',
        'limit=101',
        'operation_type=Mutation',
        'cursor=abc',
        'colour=blue',
      ];
      for (const query of bad) {
        const response = await roster.api(account.key, 'GET', `/v2/audit-logs?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.body.detail, query).toEqual(expect.any(String));
      }
      const users = await roster.api(account.key, 'GET', '/v2/users?limit=1');
      const foreign = users.body.pagination.next_cursor;
      expect(
        (await roster.api(account.key, 'GET', `/v2/audit-logs?cursor=${foreign}`)).status,
      ).toBe(400);
    });

    it('is for admins only: a member and an annotator get 403', async () => {
      for (const role of ['member', 'annotator'] as const) {
        const caller = await roster.newCaller(account, role);
        const response = await roster.api(caller.key, 'GET', '/v2/audit-logs');
        expect(response.status, role).toBe(403);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      }
      expect((await roster.api(undefined, 'GET', '/v2/audit-logs')).status).toBe(401);
    });

    it("the official SDK's listAuditLogs works unmodified", async () => {
      const client = createClient({ apiKey: account.key, baseUrl: roster.url });
      const all = await allEntries(roster, account);
      const first = await listAuditLogs({ client, limit: 3, operationType: 'MUTATION' });
      expect(first.data).toHaveLength(3);
      expect(first.data[0]).toMatchObject({
        id: all[0].id,
        userId: all[0].user_id,
        ip: all[0].ip,
        operationType: 'MUTATION',
        operationName: all[0].operation_name,
        operationText: all[0].operation_text,
      });
      expect(first.data[0]!.createdAt).toEqual(new Date(all[0].created_at));
      expect(first.pagination.hasMore).toBe(true);
      const next = await listAuditLogs({ client, limit: 3, cursor: first.pagination.nextCursor! });
      expect(next.data.map((e) => e.id)).toEqual(all.slice(3, 6).map((e) => e.id));
      const byUser = await listAuditLogs({ client, userId: other.userId, startTime: new Date(0) });
      expect(byUser.data.every((e) => e.userId === other.userId)).toBe(true);
      const memberKey = (await roster.newCaller(account, 'member')).key;
      const forbidden = await listAuditLogs({
        client: createClient({ apiKey: memberKey, baseUrl: roster.url }),
      }).catch((error: unknown) => error);
      expect(forbidden).toBeInstanceOf(AuthorizationError);
    });
  });
});
