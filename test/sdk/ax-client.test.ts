/**
 * Arize's official TypeScript SDK, unmodified, against a real Roster: every users and API-keys
 * function, the upper-case enums it expects (it sends sdk-language), and its error classes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  APIError,
  AuthenticationError,
  AuthorizationError,
  BadRequestError,
  NotFoundError,
  bulkDeleteUsers,
  createApiKey,
  createClient,
  createRole,
  deleteRole,
  getRole,
  listRoles,
  updateRole,
  createUser,
  deleteUser,
  getUser,
  listApiKeys,
  listUsers,
  refreshApiKey,
  resendInvitation,
  resetPassword,
  revokeApiKey,
  updateUser,
} from '@arizeai/ax-client';
import { hashPassword } from '../../src/auth/passwords.js';
import { decodeId } from '../../src/http/global-id.js';
import {
  describeEachDatabase,
  startRoster,
  useRoster,
  uniqueEmail,
  type Caller,
} from '../support/roster.js';

process.env.DISABLE_PRERELEASE_WARNING = 'true';

type Client = ReturnType<typeof createClient>;

/** Runs `call` and returns what it threw, failing the test if it did not throw. */
async function thrown(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

describeEachDatabase('official SDK (@arizeai/ax-client)', (database) => {
  // This suite moves its server's clock: the server has a database of its own (as each has), so
  // its worker, with a clock in the future, takes no other test file's email.
  const roster = useRoster(database);
  let admin: Caller;
  let client: Client;

  beforeAll(async () => {
    admin = await roster.newAccount();
    client = createClient({ apiKey: admin.key, baseUrl: roster.url });
  });

  const clientFor = (caller: Caller) => createClient({ apiKey: caller.key, baseUrl: roster.url });
  const member = (email = uniqueEmail()) => ({
    client,
    name: 'Grace Hopper',
    email,
    role: { type: 'PREDEFINED' as const, name: 'MEMBER' as const },
  });

  describe('users', () => {
    it('createUser with EMAIL_LINK answers a UserCreated in upper case, and the email goes out', async () => {
      const email = uniqueEmail();
      const before = Date.now();
      const user = await createUser({ ...member(email), inviteMode: 'EMAIL_LINK' });
      expect(user).toMatchObject({
        name: 'Grace Hopper',
        email,
        status: 'INVITED',
        role: { type: 'PREDEFINED', name: 'MEMBER' },
        isDeveloper: true,
        inviteMode: 'EMAIL_LINK',
      });
      expect(decodeId('User', user.id)).toBeDefined();
      expect(user.createdAt).toBeInstanceOf(Date);
      expect(user.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect('temporaryPassword' in user).toBe(false);
      await roster.smtp.waitFor((mail) => mail.to.includes(email));
    });

    it('createUser with TEMPORARY_PASSWORD surfaces temporaryPassword on the 201', async () => {
      const user = await createUser({ ...member(), inviteMode: 'TEMPORARY_PASSWORD' });
      expect(user).toMatchObject({ status: 'INVITED', inviteMode: 'TEMPORARY_PASSWORD' });
      expect('temporaryPassword' in user && user.temporaryPassword).toMatch(/^\S{16,}$/);
    });

    it('the 200 replay is a plain User: no inviteMode, no temporaryPassword', async () => {
      const email = uniqueEmail();
      const first = await createUser({ ...member(email), inviteMode: 'TEMPORARY_PASSWORD' });
      const replay = await createUser({
        ...member(email.toUpperCase()),
        inviteMode: 'TEMPORARY_PASSWORD',
      });
      expect(replay.id).toBe(first.id);
      expect(replay).not.toHaveProperty('inviteMode');
      expect(replay).not.toHaveProperty('temporaryPassword');
      expect(replay).not.toHaveProperty('invite_mode');
      expect(replay).toMatchObject({ status: 'INVITED', isDeveloper: true });
    });

    it('createUser with NONE makes an active user; annotators default to non-developers', async () => {
      const user = await createUser({
        ...member(),
        role: { type: 'PREDEFINED', name: 'ANNOTATOR' },
        inviteMode: 'NONE',
      });
      expect(user).toMatchObject({
        status: 'ACTIVE',
        inviteMode: 'NONE',
        role: { type: 'PREDEFINED', name: 'ANNOTATOR' },
        isDeveloper: false,
      });
    });

    it('createUser errors: 409 as APIError, an unknown custom role and bad email as BadRequestError', async () => {
      const email = uniqueEmail();
      await createUser({ ...member(email), inviteMode: 'NONE' });
      const conflict = await thrown(() => createUser({ ...member(email), inviteMode: 'NONE' }));
      expect(conflict).toBeInstanceOf(APIError);
      expect((conflict as APIError).statusCode).toBe(409);

      const custom = await thrown(() =>
        createUser({ ...member(), role: { type: 'CUSTOM', id: 'role-1' }, inviteMode: 'NONE' }),
      );
      expect(custom).toBeInstanceOf(BadRequestError);
      expect((custom as BadRequestError).statusCode).toBe(400);
      expect(custom.message).toMatch(/role-1 is not a custom role of your account/);

      const badEmail = await thrown(() =>
        createUser({ ...member('not-an-email'), inviteMode: 'NONE' }),
      );
      expect(badEmail).toBeInstanceOf(BadRequestError);
      expect(badEmail.message).toContain('email');
    });

    it('getUser answers the User; an unknown id is a NotFoundError', async () => {
      const made = await createUser({ ...member(), inviteMode: 'NONE' });
      const user = await getUser({ client, userId: made.id });
      expect(user).toEqual({
        id: made.id,
        name: made.name,
        email: made.email,
        status: 'ACTIVE',
        role: { type: 'PREDEFINED', name: 'MEMBER' },
        createdAt: made.createdAt,
        isDeveloper: true,
      });
      for (const userId of ['nope', 'VXNlcjowMUFSWjNOREVLVFNWNFJSRkZRNjlHNUZBVg==']) {
        const error = await thrown(() => getUser({ client, userId }));
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).statusCode).toBe(404);
      }
    });

    it('listUsers pages with nextCursor and filters by email and repeated status', async () => {
      const own = await roster.newAccount();
      const ownClient = clientFor(own);
      const emails = [uniqueEmail('list'), uniqueEmail('list'), uniqueEmail('list')];
      await createUser({ ...member(emails[0]), client: ownClient, inviteMode: 'NONE' });
      await createUser({ ...member(emails[1]), client: ownClient, inviteMode: 'EMAIL_LINK' });
      await createUser({ ...member(emails[2]), client: ownClient, inviteMode: 'NONE' });

      const all = await listUsers({ client: ownClient });
      expect(all.pagination).toEqual({ hasMore: false, nextCursor: undefined });
      expect(all.data.map((u) => u.email)).toEqual([own.email, ...emails]);
      for (const user of all.data) {
        expect(user.status).toMatch(/^(ACTIVE|INVITED)$/);
        expect(user.role).toEqual({ type: 'PREDEFINED', name: expect.stringMatching(/^[A-Z]+$/) });
        expect(user.createdAt).toBeInstanceOf(Date);
      }

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listUsers({ client: ownClient, limit: 3, cursor });
        seen.push(...page.data.map((u) => u.email));
        expect(page.pagination.hasMore).toBe(page.pagination.nextCursor !== undefined);
        cursor = page.pagination.nextCursor;
      } while (cursor);
      expect(seen).toEqual([own.email, ...emails]);

      const invited = await listUsers({ client: ownClient, status: ['INVITED'] });
      expect(invited.data.map((u) => u.email)).toEqual([emails[1]]);
      const both = await listUsers({ client: ownClient, status: ['INVITED', 'ACTIVE'] });
      expect(both.data).toHaveLength(4);
      const byEmail = await listUsers({ client: ownClient, email: emails[2]!.toUpperCase() });
      expect(byEmail.data.map((u) => u.email)).toEqual([emails[2]]);

      const badCursor = await thrown(() => listUsers({ client: ownClient, cursor: 'garbage!' }));
      expect(badCursor).toBeInstanceOf(BadRequestError);
    });

    it('updateUser changes name and isDeveloper; an empty update is a BadRequestError', async () => {
      const made = await createUser({ ...member(), inviteMode: 'NONE' });
      const renamed = await updateUser({ client, userId: made.id, name: '  Ada Lovelace ' });
      expect(renamed).toMatchObject({ id: made.id, name: 'Ada Lovelace', status: 'ACTIVE' });
      const demoted = await updateUser({ client, userId: made.id, isDeveloper: false });
      expect(demoted.isDeveloper).toBe(false);
      const empty = await thrown(() => updateUser({ client, userId: made.id }));
      expect(empty).toBeInstanceOf(BadRequestError);
      const unknown = await thrown(() => updateUser({ client, userId: 'nope', name: 'X' }));
      expect(unknown).toBeInstanceOf(NotFoundError);
    });

    it('deleteUser resolves; the user is then a NotFoundError; deleting yourself is a BadRequestError', async () => {
      const made = await createUser({ ...member(), inviteMode: 'NONE' });
      await expect(deleteUser({ client, userId: made.id })).resolves.toBeUndefined();
      await expect(deleteUser({ client, userId: made.id })).resolves.toBeUndefined();
      expect(await thrown(() => getUser({ client, userId: made.id }))).toBeInstanceOf(
        NotFoundError,
      );
      const self = await thrown(() => deleteUser({ client, userId: admin.userId }));
      expect(self).toBeInstanceOf(BadRequestError);
    });

    it('resendInvitation resolves and emails a fresh link; for an active user it is a BadRequestError', async () => {
      const email = uniqueEmail();
      const made = await createUser({ ...member(email), inviteMode: 'EMAIL_LINK' });
      await roster.smtp.waitFor((mail) => mail.to.includes(email));
      await expect(resendInvitation({ client, userId: made.id })).resolves.toBeUndefined();
      await roster.smtp.waitFor((mail) => mail.to.includes(email), 2);

      const active = await createUser({ ...member(), inviteMode: 'NONE' });
      const error = await thrown(() => resendInvitation({ client, userId: active.id }));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.message).toContain('invited');
    });

    it('resetPassword resolves for a user with a password; for an SSO user it is a BadRequestError', async () => {
      const sso = await createUser({ ...member(), inviteMode: 'NONE' });
      const error = await thrown(() => resetPassword({ client, userId: sso.id }));
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).statusCode).toBe(400);

      // A user who finished registration has a password.
      const email = uniqueEmail();
      const registered = await createUser({ ...member(email), inviteMode: 'NONE' });
      await roster.server.deps.db.kysely
        .updateTable('users')
        .set({ password_hash: await hashPassword('correct horse battery staple') })
        .where('id', '=', decodeId('User', registered.id)!)
        .execute();
      await expect(resetPassword({ client, userId: registered.id })).resolves.toBeUndefined();
      const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
      expect(mail!.text).toContain('/password/reset?token=');
    });

    it('bulkDeleteUsers deletes by id and by email, and reports emails it cannot find', async () => {
      const byId = await createUser({ ...member(), inviteMode: 'NONE' });
      const email = uniqueEmail('bulk');
      const byEmail = await createUser({ ...member(email), inviteMode: 'EMAIL_LINK' });
      const missing = uniqueEmail('missing');
      const results = await bulkDeleteUsers({
        client,
        userIds: [byId.id],
        emails: [email.toUpperCase(), missing],
      });
      expect(results).toHaveLength(3);
      expect(results).toEqual(
        expect.arrayContaining([
          { userId: byId.id, email: undefined, status: 'deleted' },
          { userId: byEmail.id, email: email.toUpperCase(), status: 'deleted' },
          expect.objectContaining({ userId: '', email: missing, status: 'not_found' }),
        ]),
      );
      for (const userId of [byId.id, byEmail.id]) {
        expect(await thrown(() => getUser({ client, userId }))).toBeInstanceOf(NotFoundError);
      }
    });

    it('role checks surface as AuthorizationError (403) and NotFoundError (404)', async () => {
      const memberCaller = await roster.newCaller(admin, 'member');
      const memberClient = clientFor(memberCaller);
      const denied = await thrown(() =>
        createUser({ ...member(), client: memberClient, inviteMode: 'NONE' }),
      );
      expect(denied).toBeInstanceOf(AuthorizationError);
      expect((denied as AuthorizationError).statusCode).toBe(403);
      await expect(getUser({ client: memberClient, userId: admin.userId })).resolves.toMatchObject({
        role: { name: 'ADMIN' },
      });

      const annotator = await roster.newCaller(admin, 'annotator');
      const hidden = await thrown(() =>
        getUser({ client: clientFor(annotator), userId: admin.userId }),
      );
      expect(hidden).toBeInstanceOf(NotFoundError);

      const outsider = await roster.newAccount();
      const otherAccount = await thrown(() =>
        getUser({ client: clientFor(outsider), userId: admin.userId }),
      );
      expect(otherAccount).toBeInstanceOf(NotFoundError);
    });

    it('an expired invitation is renewed by createUser: a UserCreated again, same id', async () => {
      const email = uniqueEmail('expired');
      const first = await createUser({ ...member(email), inviteMode: 'EMAIL_LINK' });
      const eightDays = 8 * 24 * 3600 * 1000;
      roster.clock.advance(eightDays);
      try {
        expect((await getUser({ client, userId: first.id })).status).toBe('EXPIRED');
        const expired = await listUsers({ client, email, status: ['EXPIRED'] });
        expect(expired.data.map((u) => u.id)).toEqual([first.id]);
        const renewed = await createUser({
          ...member(email),
          name: 'Grace B. Hopper',
          inviteMode: 'TEMPORARY_PASSWORD',
        });
        expect(renewed).toMatchObject({
          id: first.id,
          name: 'Grace B. Hopper',
          status: 'INVITED',
          inviteMode: 'TEMPORARY_PASSWORD',
        });
        expect('temporaryPassword' in renewed && renewed.temporaryPassword).toBeTruthy();
      } finally {
        roster.clock.advance(-eightDays);
      }
    });

    it('too many requests surface as an APIError with statusCode 429', async () => {
      const limited = await startRoster(database, { env: { ROSTER_API_RATE_LIMIT: '3' } });
      try {
        const owner = await limited.newAccount();
        const limitedClient = createClient({ apiKey: owner.key, baseUrl: limited.url });
        for (let i = 0; i < 3; i++) await listUsers({ client: limitedClient });
        const error = await thrown(() => listUsers({ client: limitedClient }));
        expect(error).toBeInstanceOf(APIError);
        expect((error as APIError).statusCode).toBe(429);
      } finally {
        await limited.close();
      }
    });

    it('an unknown key is an AuthenticationError (401)', async () => {
      const stranger = createClient({ apiKey: 'rstr_notakeynotakeynotakey', baseUrl: roster.url });
      const error = await thrown(() => listUsers({ client: stranger }));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).statusCode).toBe(401);
    });
  });

  describe('API keys', () => {
    it('createApiKey answers an ApiKeyCreated with key_type USER and the secret once', async () => {
      const expiresAt = new Date(Date.now() + 30 * 24 * 3600 * 1000);
      const key = await createApiKey({
        client,
        keyType: 'USER',
        name: 'sdk key',
        description: 'made by the SDK',
        expiresAt,
      });
      expect(key).toMatchObject({
        name: 'sdk key',
        description: 'made by the SDK',
        keyType: 'USER',
        status: 'ACTIVE',
        createdByUserId: admin.userId,
        expiresAt,
      });
      expect(key.key).toMatch(/^rstr_/);
      expect(key.redactedKey.endsWith(key.key.slice(-4))).toBe(true);
      expect(key.createdAt).toBeInstanceOf(Date);
      const own = createClient({ apiKey: key.key, baseUrl: roster.url });
      await expect(listUsers({ client: own })).resolves.toBeTruthy();
    });

    it('a service key is a BadRequestError saying service keys are not supported', async () => {
      const error = await thrown(() =>
        createApiKey({
          client,
          keyType: 'SERVICE',
          name: 'bot',
          accountRole: { name: 'MEMBER' },
          organizations: [{ orgId: 'T3JnOjE=', spaces: [{ spaceId: 'U3BhY2U6MQ==' }] }],
        }),
      );
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error.message).toMatch(/[Ss]ervice keys are not supported/);
    });

    it('an expiry in the past is a BadRequestError', async () => {
      const error = await thrown(() =>
        createApiKey({ client, keyType: 'USER', name: 'old', expiresAt: new Date(0) }),
      );
      expect(error).toBeInstanceOf(BadRequestError);
    });

    it('listApiKeys lists active and revoked keys in upper case, never the secret', async () => {
      const own = await roster.newAccount();
      const ownClient = clientFor(own);
      const kept = await createApiKey({ client: ownClient, keyType: 'USER', name: 'kept' });
      const dropped = await createApiKey({ client: ownClient, keyType: 'USER', name: 'dropped' });
      await revokeApiKey({ client: ownClient, apiKeyId: dropped.id });

      const active = await listApiKeys({ client: ownClient });
      expect(active.pagination.hasMore).toBe(false);
      expect(active.data.map((k) => k.name).sort()).toEqual(['bootstrap', 'kept']);
      for (const key of active.data) {
        expect(key).toMatchObject({ keyType: 'USER', status: 'ACTIVE' });
        expect(key).not.toHaveProperty('key');
      }
      expect(JSON.stringify(active)).not.toContain(kept.key);
      const revoked = await listApiKeys({ client: ownClient, status: 'REVOKED' });
      expect(revoked.data).toEqual([
        expect.objectContaining({ id: dropped.id, status: 'REVOKED', keyType: 'USER' }),
      ]);
      const users = await listApiKeys({ client: ownClient, keyType: 'USER', limit: 1 });
      expect(users.data).toHaveLength(1);
      expect(users.pagination.hasMore).toBe(true);
      const next = await listApiKeys({
        client: ownClient,
        keyType: 'USER',
        limit: 1,
        cursor: users.pagination.nextCursor,
      });
      expect(next.data[0]!.id).not.toBe(users.data[0]!.id);
    });

    it("listApiKeys with userId: an admin sees another user's keys, a member gets AuthorizationError", async () => {
      const memberCaller = await roster.newCaller(admin, 'member');
      const memberClient = clientFor(memberCaller);
      await createApiKey({ client: memberClient, keyType: 'USER', name: 'member key' });
      const seen = await listApiKeys({ client, userId: memberCaller.userId });
      expect(seen.data.map((k) => k.name)).toContain('member key');
      const denied = await thrown(() =>
        listApiKeys({ client: memberClient, userId: admin.userId }),
      );
      expect(denied).toBeInstanceOf(AuthorizationError);
    });

    it('refreshApiKey replaces the key, keeps the expiry, and honours a grace period', async () => {
      const expiresAt = new Date(Date.now() + 7 * 24 * 3600 * 1000);
      const old = await createApiKey({ client, keyType: 'USER', name: 'rotating', expiresAt });
      const fresh = await refreshApiKey({ client, apiKeyId: old.id, gracePeriodSeconds: 60 });
      expect(fresh).toMatchObject({
        name: 'rotating',
        keyType: 'USER',
        status: 'ACTIVE',
        expiresAt,
      });
      expect(fresh.id).not.toBe(old.id);
      expect(fresh.key).toMatch(/^rstr_/);
      // Within the grace period both keys work.
      await expect(
        listUsers({ client: createClient({ apiKey: old.key, baseUrl: roster.url }) }),
      ).resolves.toBeTruthy();
      await expect(
        listUsers({ client: createClient({ apiKey: fresh.key, baseUrl: roster.url }) }),
      ).resolves.toBeTruthy();

      const later = await thrown(() =>
        refreshApiKey({
          client,
          apiKeyId: fresh.id,
          expiresAt: new Date(expiresAt.getTime() + 1000),
        }),
      );
      expect(later).toBeInstanceOf(APIError);
      expect((later as APIError).statusCode).toBe(422);

      const unknown = await thrown(() => refreshApiKey({ client, apiKeyId: 'nope' }));
      expect(unknown).toBeInstanceOf(NotFoundError);
    });

    it('revokeApiKey resolves, twice; the revoked key is then an AuthenticationError', async () => {
      const key = await createApiKey({ client, keyType: 'USER', name: 'short-lived' });
      await expect(revokeApiKey({ client, apiKeyId: key.id })).resolves.toBeUndefined();
      await expect(revokeApiKey({ client, apiKeyId: key.id })).resolves.toBeUndefined();
      const error = await thrown(() =>
        listUsers({ client: createClient({ apiKey: key.key, baseUrl: roster.url }) }),
      );
      expect(error).toBeInstanceOf(AuthenticationError);
      const unknown = await thrown(() => revokeApiKey({ client, apiKeyId: 'nope' }));
      expect(unknown).toBeInstanceOf(NotFoundError);
    });
  });

  describe('roles', () => {
    it('createRole, getRole, updateRole and deleteRole round-trip a custom role', async () => {
      const name = `Data Scientist ${uniqueEmail()}`;
      const made = await createRole({
        client,
        name,
        description: 'Reads datasets',
        permissions: ['PROJECT_READ', 'DATASET_READ', 'USER_READ'],
      });
      expect(made).toMatchObject({
        name,
        description: 'Reads datasets',
        permissions: ['PROJECT_READ', 'DATASET_READ', 'USER_READ'],
        isPredefined: false,
      });
      expect(made.createdAt).toBeInstanceOf(Date);
      expect(made.updatedAt).toBeInstanceOf(Date);
      expect(decodeId('Role', made.id)).toBeDefined();
      expect(await getRole({ client, roleId: made.id })).toEqual(made);

      const updated = await updateRole({
        client,
        roleId: made.id,
        description: null,
        permissions: ['DATASET_READ'],
      });
      expect(updated).toMatchObject({ id: made.id, name, permissions: ['DATASET_READ'] });
      expect(updated).not.toHaveProperty('description');

      await deleteRole({ client, roleId: made.id });
      const gone = await thrown(() => getRole({ client, roleId: made.id }));
      expect(gone).toBeInstanceOf(NotFoundError);
    });

    it('listRoles lists the predefined roles and filters with isPredefined, page by page', async () => {
      const account = await roster.newAccount();
      const own = clientFor(account);
      for (let i = 0; i < 2; i++) {
        await createRole({ client: own, name: `Role ${i}`, permissions: ['USER_READ'] });
      }
      const predefined = await listRoles({ client: own, isPredefined: true });
      expect(predefined.data.map((role) => [role.name, role.isPredefined])).toEqual([
        ['admin', true],
        ['member', true],
        ['annotator', true],
      ]);
      expect(predefined.data[1]!.permissions).toEqual(['USER_READ']);
      const custom = await listRoles({ client: own, isPredefined: false });
      expect(custom.data.map((role) => role.name)).toEqual(['Role 0', 'Role 1']);

      const first = await listRoles({ client: own, limit: 4 });
      expect(first.pagination.hasMore).toBe(true);
      const rest = await listRoles({ client: own, limit: 4, cursor: first.pagination.nextCursor });
      expect([...first.data, ...rest.data].map((role) => role.name)).toEqual([
        'admin',
        'member',
        'annotator',
        'Role 0',
        'Role 1',
      ]);
      expect(rest.pagination.hasMore).toBe(false);
    });

    it('errors: a duplicate name is an APIError 409, a predefined role a BadRequestError, a member an AuthorizationError', async () => {
      const name = `Twice ${uniqueEmail()}`;
      await createRole({ client, name, permissions: ['USER_READ'] });
      const twice = await thrown(() => createRole({ client, name, permissions: ['USER_READ'] }));
      expect(twice).toBeInstanceOf(APIError);
      expect((twice as APIError).statusCode).toBe(409);

      const adminRole = (await listRoles({ client, isPredefined: true })).data[0]!;
      const change = await thrown(() => updateRole({ client, roleId: adminRole.id, name: 'Mine' }));
      expect(change).toBeInstanceOf(BadRequestError);
      expect(change.message).toMatch(/predefined role admin cannot be changed/);
      const remove = await thrown(() => deleteRole({ client, roleId: adminRole.id }));
      expect(remove).toBeInstanceOf(BadRequestError);

      const reader = await roster.newCaller(admin, 'member');
      const refused = await thrown(() => listRoles({ client: clientFor(reader) }));
      expect(refused).toBeInstanceOf(AuthorizationError);
    });

    it('createUser and getUser carry a custom role as Arize shows it', async () => {
      const role = await createRole({
        client,
        name: `Holder ${uniqueEmail()}`,
        permissions: ['USER_READ'],
      });
      const user = await createUser({
        ...member(),
        role: { type: 'CUSTOM', id: role.id },
        inviteMode: 'NONE',
      });
      expect(user.role).toEqual({ type: 'CUSTOM', id: role.id, name: role.name });
      expect((await getUser({ client, userId: user.id })).role).toEqual(user.role);
    });
  });
});
