/**
 * /v2/roles over HTTP, and users holding custom roles: every rule, on both databases.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { mintKeyForUser } from '../../src/accounts/service.js';
import { decodeId, encodeId } from '../../src/http/global-id.js';
import { checkInvariants } from '../hardening/invariants.js';

const SDK = { 'sdk-language': 'javascript' };

describeEachDatabase('roles API', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  const api = (method: string, path: string, body?: unknown, key = admin.key) =>
    roster.api(key, method, path, body);
  let counter = 0;
  const roleName = (label = 'Role') =>
    `${label} ${++counter} ${Math.random().toString(36).slice(2, 7)}`;

  async function newRole(permissions: string[], caller = admin, name = roleName()) {
    const response = await api('POST', '/v2/roles', { name, permissions }, caller.key);
    expect(response.status).toBe(201);
    return response.body as { id: string; name: string; permissions: string[] };
  }

  /** A user of the caller's account holding the role, with an API key. */
  async function holder(owner: Caller, roleId: string, extra: Record<string, unknown> = {}) {
    const email = uniqueEmail('custom');
    const created = await api(
      'POST',
      '/v2/users',
      {
        name: 'Custom Holder',
        email,
        role: { type: 'custom', id: roleId },
        invite_mode: 'none',
        ...extra,
      },
      owner.key,
    );
    expect(created.status).toBe(201);
    const made = await mintKeyForUser(roster.server.deps, { email, accountId: owner.accountId });
    return { key: made.apiKey, userId: created.body.id, accountId: owner.accountId, email };
  }

  describe('create', () => {
    it('answers 201 with the role, its permissions in lower case, and no description when none', async () => {
      const name = roleName('Data Scientist');
      const response = await api('POST', '/v2/roles', {
        name: `  ${name} `,
        permissions: ['PROJECT_READ', 'dataset_read', 'USER_READ', 'PROJECT_READ'],
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        name,
        permissions: ['project_read', 'dataset_read', 'user_read'],
        is_predefined: false,
        created_at: expect.stringMatching(/Z$/),
        updated_at: response.body.created_at,
      });
      expect(decodeId('Role', response.body.id)).toBeDefined();
      const read = await api('GET', `/v2/roles/${response.body.id}`);
      expect(read.body).toEqual(response.body);
    });

    it('keeps a description, and answers permissions in upper case to the SDKs', async () => {
      const response = await roster.api(
        admin.key,
        'POST',
        '/v2/roles',
        { name: roleName(), description: 'Reads things', permissions: ['user_read'] },
        SDK,
      );
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        description: 'Reads things',
        permissions: ['USER_READ'],
        is_predefined: false,
      });
    });

    it('a duplicate name (any case) is a 409, and so is the name of a predefined role', async () => {
      const name = roleName('Twice');
      await newRole(['user_read'], admin, name);
      const again = await api('POST', '/v2/roles', {
        name: name.toUpperCase(),
        permissions: ['user_read'],
      });
      expect(again.status).toBe(409);
      expect(again.body.detail).toContain('already has a role named');
      const predefined = await api('POST', '/v2/roles', {
        name: 'Admin',
        permissions: ['user_read'],
      });
      expect(predefined.status).toBe(409);
      expect(predefined.body.detail).toMatch(/predefined role/);
    });

    it('the same name in another account is no conflict', async () => {
      const name = roleName('Shared');
      await newRole(['user_read'], admin, name);
      const other = await roster.newAccount();
      await newRole(['user_read'], other, name);
    });

    const badBodies: Array<[string, unknown, RegExp]> = [
      ['no permissions', { name: 'X', permissions: [] }, /permissions/],
      ['permissions left out', { name: 'X' }, /permissions/],
      ['an unknown permission', { name: 'X', permissions: ['FLY'] }, /permissions/],
      ['a mixed-case permission', { name: 'X', permissions: ['User_Read'] }, /permissions/],
      ['an empty name', { name: '  ', permissions: ['user_read'] }, /name/],
      ['a name of 256 characters', { name: 'n'.repeat(256), permissions: ['user_read'] }, /name/],
      ['a control character', { name: 'a\u0007b', permissions: ['user_read'] }, /name/],
      [
        'a system field',
        { name: 'X', permissions: ['user_read'], is_predefined: false },
        /is_predefined/,
      ],
    ];
    for (const [label, body, detail] of badBodies) {
      it(`${label} is a 400 naming the field, and nothing is created`, async () => {
        const before = await api('GET', '/v2/roles?is_predefined=false&limit=100');
        const response = await api('POST', '/v2/roles', body);
        expect(response.status).toBe(400);
        expect(response.body.detail).toMatch(detail);
        const after = await api('GET', '/v2/roles?is_predefined=false&limit=100');
        expect(after.body.roles).toHaveLength(before.body.roles.length);
      });
    }
  });

  describe('list and get', () => {
    it('lists the predefined roles first with their permissions, then the custom ones', async () => {
      const account = await roster.newAccount();
      const made = await newRole(['user_read', 'project_read'], account);
      const response = await api('GET', '/v2/roles', undefined, account.key);
      expect(response.status).toBe(200);
      expect(response.body.pagination).toEqual({ has_more: false });
      expect(
        response.body.roles.map(
          (role: { name: string; permissions: string[]; is_predefined: boolean }) => [
            role.name,
            role.permissions,
            role.is_predefined,
          ],
        ),
      ).toEqual([
        ['admin', ['user_read', 'user_create', 'user_update', 'user_delete'], true],
        ['member', ['user_read'], true],
        ['annotator', [], true],
        [made.name, ['user_read', 'project_read'], false],
      ]);
    });

    it('is_predefined filters, in either spelling', async () => {
      const account = await roster.newAccount();
      await newRole(['user_read'], account);
      const predefined = await api('GET', '/v2/roles?is_predefined=true', undefined, account.key);
      expect(predefined.body.roles.map((r: { name: string }) => r.name)).toEqual([
        'admin',
        'member',
        'annotator',
      ]);
      const custom = await api('GET', '/v2/roles?is_predefined=false', undefined, account.key);
      expect(custom.body.roles).toHaveLength(1);
      expect(custom.body.roles[0].is_predefined).toBe(false);
      expect((await api('GET', '/v2/roles?is_predefined=yes', undefined, account.key)).status).toBe(
        400,
      );
    });

    it('pages through predefined and custom roles alike with the cursor', async () => {
      const account = await roster.newAccount();
      const made = [];
      for (let i = 0; i < 4; i++) made.push((await newRole(['user_read'], account)).name);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await api(
          'GET',
          `/v2/roles?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          undefined,
          account.key,
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.roles.map((r: { name: string }) => r.name));
        if (!page.body.pagination.has_more) break;
        cursor = page.body.pagination.next_cursor;
      }
      expect(seen).toEqual(['admin', 'member', 'annotator', ...made]);
    });

    it('a cursor of another listing, or a made-up one, is a 400', async () => {
      const users = await api('GET', '/v2/users?limit=1');
      const cursor = users.body.pagination.next_cursor ?? 'AAAA';
      expect((await api('GET', `/v2/roles?cursor=${cursor}`)).status).toBe(400);
      expect((await api('GET', '/v2/roles?cursor=nonsense')).status).toBe(400);
    });

    it('a predefined role reads by its id; unknown, malformed and other accounts’ ids are 404', async () => {
      const predefined = await api('GET', '/v2/roles?is_predefined=true');
      const adminRole = predefined.body.roles[0];
      expect((await api('GET', `/v2/roles/${adminRole.id}`)).body).toEqual(adminRole);

      const other = await roster.newAccount();
      const theirs = await newRole(['user_read'], other);
      for (const id of [
        theirs.id,
        encodeId('Role', '01ARZ3NDEKTSV4RRFFQ69G5FAV'),
        'garbage',
        encodeId('User', decodeId('User', admin.userId)!),
      ]) {
        const response = await api('GET', `/v2/roles/${id}`);
        expect(response.status).toBe(404);
      }
    });
  });

  describe('update', () => {
    it('changes name, clears the description with null, and replaces the permissions', async () => {
      const made = await api('POST', '/v2/roles', {
        name: roleName(),
        description: 'Before',
        permissions: ['user_read', 'project_read'],
      });
      const name = roleName('Renamed');
      const response = await api('PATCH', `/v2/roles/${made.body.id}`, {
        name,
        description: null,
        permissions: ['dataset_read'],
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: made.body.id,
        name,
        permissions: ['dataset_read'],
      });
      expect(response.body).not.toHaveProperty('description');
      expect(Date.parse(response.body.updated_at)).toBeGreaterThanOrEqual(
        Date.parse(made.body.updated_at),
      );
      expect((await api('GET', `/v2/roles/${made.body.id}`)).body).toEqual(response.body);

      const described = await api('PATCH', `/v2/roles/${made.body.id}`, { description: 'After' });
      expect(described.body).toMatchObject({
        name,
        description: 'After',
        permissions: ['dataset_read'],
      });
    });

    it('an empty body, empty permissions or a taken name are refused, and nothing changes', async () => {
      const made = await newRole(['user_read']);
      const taken = await newRole(['user_read']);
      expect((await api('PATCH', `/v2/roles/${made.id}`, {})).status).toBe(400);
      expect((await api('PATCH', `/v2/roles/${made.id}`, { permissions: [] })).status).toBe(400);
      const conflict = await api('PATCH', `/v2/roles/${made.id}`, { name: taken.name });
      expect(conflict.status).toBe(409);
      expect((await api('PATCH', `/v2/roles/${made.id}`, { name: 'member' })).status).toBe(409);
      expect((await api('GET', `/v2/roles/${made.id}`)).body).toMatchObject({
        name: made.name,
        permissions: ['user_read'],
      });
      // Its own name in another case is no conflict.
      const recased = await api('PATCH', `/v2/roles/${made.id}`, { name: made.name.toUpperCase() });
      expect(recased.status).toBe(200);
    });

    it('a predefined role cannot be changed or deleted: 400 saying so', async () => {
      const predefined = await api('GET', '/v2/roles?is_predefined=true');
      for (const role of predefined.body.roles) {
        const patched = await api('PATCH', `/v2/roles/${role.id}`, { name: 'Mine' });
        expect(patched.status).toBe(400);
        expect(patched.body.detail).toBe(`The predefined role ${role.name} cannot be changed`);
        const deleted = await api('DELETE', `/v2/roles/${role.id}`);
        expect(deleted.status).toBe(400);
        expect(deleted.body.detail).toBe(`The predefined role ${role.name} cannot be deleted`);
      }
    });
  });

  describe('delete', () => {
    it('answers 204; the role is gone, and its name is free again', async () => {
      const made = await newRole(['user_read']);
      expect((await api('DELETE', `/v2/roles/${made.id}`)).status).toBe(204);
      expect((await api('GET', `/v2/roles/${made.id}`)).status).toBe(404);
      expect((await api('DELETE', `/v2/roles/${made.id}`)).status).toBe(404);
      await newRole(['user_read'], admin, made.name);
    });

    it('a role that users hold is a 409 naming how many; deleted users do not count', async () => {
      const made = await newRole(['user_read']);
      const first = await holder(admin, made.id);
      await holder(admin, made.id);
      const refused = await api('DELETE', `/v2/roles/${made.id}`);
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toMatch(/^2 users hold this role/);
      expect((await api('GET', `/v2/roles/${made.id}`)).status).toBe(200);

      expect((await api('DELETE', `/v2/users/${first.userId}`)).status).toBe(204);
      const once = await api('DELETE', `/v2/roles/${made.id}`);
      expect(once.body.detail).toMatch(/^1 user holds this role/);
    });
  });

  describe('who may manage roles', () => {
    it('members, annotators and custom roles get 403 on every route; nothing changes', async () => {
      const made = await newRole(['user_read']);
      const member = await roster.newCaller(admin, 'member');
      const annotator = await roster.newCaller(admin, 'annotator');
      const custom = await holder(admin, (await newRole(['user_read', 'user_create'])).id);
      for (const caller of [member, annotator, custom]) {
        const attempts = [
          await api(
            'POST',
            '/v2/roles',
            { name: roleName(), permissions: ['user_read'] },
            caller.key,
          ),
          await api('GET', '/v2/roles', undefined, caller.key),
          await api('GET', `/v2/roles/${made.id}`, undefined, caller.key),
          await api('PATCH', `/v2/roles/${made.id}`, { name: roleName() }, caller.key),
          await api('DELETE', `/v2/roles/${made.id}`, undefined, caller.key),
        ];
        expect(attempts.map((a) => a.status)).toEqual([403, 403, 403, 403, 403]);
        expect(attempts[0]!.body.detail).toMatch(/Only admins may manage roles/);
      }
      expect((await api('GET', `/v2/roles/${made.id}`)).body.name).toBe(made.name);
    });
  });

  describe('users holding custom roles', () => {
    it('a user is created with a custom role, and answers show it as Arize does', async () => {
      const made = await newRole(['user_read']);
      const email = uniqueEmail();
      const created = await api('POST', '/v2/users', {
        name: 'Custom',
        email,
        role: { type: 'custom', id: made.id },
        invite_mode: 'email_link',
      });
      expect(created.status).toBe(201);
      expect(created.body.role).toEqual({ type: 'custom', id: made.id, name: made.name });
      expect(created.body.is_developer).toBe(true);
      const read = await roster.api(
        admin.key,
        'GET',
        `/v2/users/${created.body.id}`,
        undefined,
        SDK,
      );
      expect(read.status, JSON.stringify(read.body)).toBe(200);
      expect(read.body.role).toEqual({ type: 'CUSTOM', id: made.id, name: made.name });
      const listed = await api('GET', `/v2/users?email=${encodeURIComponent(email)}`);
      expect(listed.body.users[0].role).toEqual({ type: 'custom', id: made.id, name: made.name });
      // A rename shows at once.
      const renamed = roleName('Renamed');
      await api('PATCH', `/v2/roles/${made.id}`, { name: renamed });
      expect((await api('GET', `/v2/users/${created.body.id}`)).body.role.name).toBe(renamed);
    });

    it('an unknown, deleted, malformed or other account’s role id is a 400 naming it; nothing is created', async () => {
      const other = await roster.newAccount();
      const theirs = await newRole(['user_read'], other);
      const deleted = await newRole(['user_read']);
      await api('DELETE', `/v2/roles/${deleted.id}`);
      const predefinedAdmin = (await api('GET', '/v2/roles?is_predefined=true')).body.roles[0].id;
      for (const id of [
        theirs.id,
        deleted.id,
        'not-a-role',
        encodeId('Role', '01ARZ3NDEKTSV4RRFFQ69G5FAV'),
        predefinedAdmin,
      ]) {
        const email = uniqueEmail();
        const response = await api('POST', '/v2/users', {
          name: 'X',
          email,
          role: { type: 'custom', id },
          invite_mode: 'none',
        });
        expect(response.status).toBe(400);
        expect(response.body.detail).toContain(id);
        expect(response.body.errors).toEqual([{ field: 'role.id', message: expect.any(String) }]);
        const listed = await api('GET', `/v2/users?email=${encodeURIComponent(email)}`);
        expect(listed.body.users).toHaveLength(0);
      }
    });

    it('a custom role with only USER_READ can list and get, but gets 403 on create, update and delete', async () => {
      const reader = await holder(admin, (await newRole(['user_read', 'project_read'])).id);
      expect((await api('GET', '/v2/users', undefined, reader.key)).status).toBe(200);
      expect((await api('GET', `/v2/users/${admin.userId}`, undefined, reader.key)).status).toBe(
        200,
      );
      const create = await api(
        'POST',
        '/v2/users',
        {
          name: 'N',
          email: uniqueEmail(),
          role: { type: 'predefined', name: 'annotator' },
          invite_mode: 'none',
        },
        reader.key,
      );
      expect(create.status).toBe(403);
      expect(create.body.detail).toMatch(/USER_CREATE/);
      expect(
        (await api('PATCH', `/v2/users/${admin.userId}`, { name: 'Z' }, reader.key)).status,
      ).toBe(403);
      expect((await api('DELETE', `/v2/users/${admin.userId}`, undefined, reader.key)).status).toBe(
        403,
      );
    });

    it('a custom role without USER_READ sees no user (404), and its own keys still work', async () => {
      const blind = await holder(admin, (await newRole(['project_read'])).id);
      expect((await api('GET', '/v2/users', undefined, blind.key)).status).toBe(403);
      expect((await api('GET', `/v2/users/${admin.userId}`, undefined, blind.key)).status).toBe(
        404,
      );
      expect((await api('GET', '/v2/api-keys', undefined, blind.key)).status).toBe(200);
    });

    it('a custom role with USER_CREATE creates users, but only with roles within its own permissions', async () => {
      const creatorRole = await newRole(['user_read', 'user_create']);
      const creator = await holder(admin, creatorRole.id);
      const body = (role: unknown) => ({
        name: 'Made',
        email: uniqueEmail(),
        role,
        invite_mode: 'none',
      });
      const post = (role: unknown) => api('POST', '/v2/users', body(role), creator.key);
      expect((await post({ type: 'predefined', name: 'member' })).status).toBe(201);
      expect((await post({ type: 'custom', id: creatorRole.id })).status).toBe(201);
      const asAdmin = await post({ type: 'predefined', name: 'admin' });
      expect(asAdmin.status).toBe(403);
      expect(asAdmin.body.detail).toMatch(/admin role/);
      const wider = await post({ type: 'custom', id: (await newRole(['user_delete'])).id });
      expect(wider.status).toBe(403);
      expect(wider.body.detail).toMatch(/USER_DELETE/);
    });

    it('the permissions a role gives take effect at the holder’s next request', async () => {
      const made = await newRole(['user_read']);
      const user = await holder(admin, made.id);
      expect((await api('GET', '/v2/users', undefined, user.key)).status).toBe(200);
      await api('PATCH', `/v2/roles/${made.id}`, { permissions: ['project_read'] });
      expect((await api('GET', '/v2/users', undefined, user.key)).status).toBe(403);
      await api('PATCH', `/v2/roles/${made.id}`, { permissions: ['user_read', 'project_read'] });
      expect((await api('GET', '/v2/users', undefined, user.key)).status).toBe(200);
    });
  });

  describe('PATCH /v2/users/{id} role', () => {
    it('an admin changes a user’s role to a predefined or a custom one, and back', async () => {
      const member = await roster.newCaller(admin, 'member');
      const made = await newRole(['user_read', 'user_create']);
      const toCustom = await api('PATCH', `/v2/users/${member.userId}`, {
        role: { type: 'custom', id: made.id },
      });
      expect(toCustom.status).toBe(200);
      expect(toCustom.body.role).toEqual({ type: 'custom', id: made.id, name: made.name });
      const toAnnotator = await api('PATCH', `/v2/users/${member.userId}`, {
        role: { type: 'PREDEFINED', name: 'ANNOTATOR' },
      });
      expect(toAnnotator.body.role).toEqual({ type: 'predefined', name: 'annotator' });
      // Roles and names change together in one request too.
      const both = await api('PATCH', `/v2/users/${member.userId}`, {
        name: 'Both',
        role: { type: 'predefined', name: 'member' },
      });
      expect(both.body).toMatchObject({
        name: 'Both',
        role: { type: 'predefined', name: 'member' },
      });
    });

    it('the new role applies at the user’s next request', async () => {
      const member = await roster.newCaller(admin, 'member');
      expect((await api('GET', '/v2/users', undefined, member.key)).status).toBe(200);
      await api('PATCH', `/v2/users/${member.userId}`, {
        role: { type: 'predefined', name: 'annotator' },
      });
      expect((await api('GET', '/v2/users', undefined, member.key)).status).toBe(403);
      await api('PATCH', `/v2/users/${member.userId}`, {
        role: { type: 'predefined', name: 'admin' },
      });
      expect((await api('GET', '/v2/roles', undefined, member.key)).status).toBe(200);
    });

    it('only admins may change a role: 403 for others, even with USER_UPDATE', async () => {
      const target = await roster.newCaller(admin, 'member');
      const updater = await holder(admin, (await newRole(['user_read', 'user_update'])).id);
      const member = await roster.newCaller(admin, 'member');
      for (const caller of [updater, member]) {
        const response = await api(
          'PATCH',
          `/v2/users/${target.userId}`,
          { role: { type: 'predefined', name: 'annotator' } },
          caller.key,
        );
        expect(response.status).toBe(403);
      }
      expect((await api('GET', `/v2/users/${target.userId}`)).body.role.name).toBe('member');
      // Its own update rights still rename.
      const renamed = await api(
        'PATCH',
        `/v2/users/${target.userId}`,
        { name: 'Renamed' },
        updater.key,
      );
      expect(renamed.status).toBe(200);
    });

    it('an unknown or another account’s role id is a 400 naming it', async () => {
      const member = await roster.newCaller(admin, 'member');
      const theirs = await newRole(['user_read'], await roster.newAccount());
      const response = await api('PATCH', `/v2/users/${member.userId}`, {
        role: { type: 'custom', id: theirs.id },
      });
      expect(response.status).toBe(400);
      expect(response.body.detail).toContain(theirs.id);
      expect((await api('GET', `/v2/users/${member.userId}`)).body.role.name).toBe('member');
    });

    it('taking the admin role from the last active admin developer is a 409; with another admin it works', async () => {
      const account = await roster.newAccount();
      const made = await newRole(['user_read'], account);
      for (const role of [
        { type: 'predefined', name: 'member' },
        { type: 'custom', id: made.id },
      ]) {
        const response = await api('PATCH', `/v2/users/${account.userId}`, { role }, account.key);
        expect(response.status).toBe(409);
        expect(response.body.detail).toMatch(
          /^Changing your own role would leave the account without an active admin who may use the API/,
        );
      }
      const second = await roster.newCaller(account, 'admin');
      const demoted = await api(
        'PATCH',
        `/v2/users/${second.userId}`,
        { role: { type: 'predefined', name: 'member' } },
        account.key,
      );
      expect(demoted.status).toBe(200);
      // The first is the only one again.
      const selfDemoted = await api(
        'PATCH',
        `/v2/users/${account.userId}`,
        { role: { type: 'predefined', name: 'member' } },
        account.key,
      );
      expect(selfDemoted.status).toBe(409);
      expect(
        (await api('GET', `/v2/users/${account.userId}`, undefined, account.key)).body.role,
      ).toEqual({
        type: 'predefined',
        name: 'admin',
      });
    });

    it('setting the role a user has already changes nothing', async () => {
      const account = await roster.newAccount();
      const response = await api(
        'PATCH',
        `/v2/users/${account.userId}`,
        { role: { type: 'predefined', name: 'admin' } },
        account.key,
      );
      expect(response.status).toBe(200);
      expect(response.body.role).toEqual({ type: 'predefined', name: 'admin' });
    });
  });
});
