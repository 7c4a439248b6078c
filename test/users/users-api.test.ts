import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { noEmailPending } from '../support/outbox.js';
import { linkIn } from '../support/smtp.js';

const DAY = 24 * 3600 * 1000;

function member(email: string, mode = 'email_link', extra: Record<string, unknown> = {}) {
  return {
    name: 'Grace Hopper',
    email,
    role: { type: 'predefined', name: 'member' },
    invite_mode: mode,
    ...extra,
  };
}

describeEachDatabase('users API', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  const post = (body: unknown, key = admin.key) => roster.api(key, 'POST', '/v2/users', body);
  const get = (id: string, key = admin.key) => roster.api(key, 'GET', `/v2/users/${id}`);
  /** A create answers with the user as stored: what a GET then reads. */
  const expectStored = async (body: { id: string }) =>
    expect((await get(body.id)).body).toEqual({
      ...body,
      invite_mode: undefined,
      temporary_password: undefined,
    });
  const outboxCount = async () =>
    Number(
      (
        await roster.server.deps.db.kysely
          .selectFrom('outbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  describe('create', () => {
    it('none makes an active user at once, and sends no email', async () => {
      const email = uniqueEmail();
      const response = await post(member(email, 'none'));
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        email,
        status: 'active',
        invite_mode: 'none',
        is_developer: true,
      });
      expect(response.body.temporary_password).toBeUndefined();
      expect(response.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      await expectStored(response.body);
      await noEmailPending(roster.server.deps, email);
      expect(roster.smtp.to(email)).toHaveLength(0);
    });

    it('email_link invites and sends one email whose link points at ROSTER_PUBLIC_URL', async () => {
      const email = uniqueEmail();
      const response = await post(member(email));
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        status: 'invited',
        invite_mode: 'email_link',
        role: { type: 'predefined', name: 'member' },
      });
      await expectStored(response.body);
      const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
      const link = linkIn(mail!, '/invitations/accept');
      expect(link).toMatch(
        /^http:\/\/roster\.test\/invitations\/accept\?token=[0-9A-Z]{26}\.[A-Za-z0-9_-]{43}$/,
      );
      expect(mail!.subject).toContain('invited');
      await noEmailPending(roster.server.deps, email);
      expect(roster.smtp.to(email)).toHaveLength(1);
    });

    it('temporary_password returns a password once, sends no email, and the replay never shows it', async () => {
      const email = uniqueEmail();
      const first = await post(member(email, 'temporary_password'));
      expect(first.status).toBe(201);
      expect(first.body.status).toBe('invited');
      expect(first.body.temporary_password).toMatch(/^\S{16,}$/);
      await expectStored(first.body);
      const replay = await post(member(email, 'temporary_password'));
      expect(replay.status).toBe(200);
      expect(replay.body.temporary_password).toBeUndefined();
      expect(replay.body.invite_mode).toBeUndefined();
      expect(replay.body.id).toBe(first.body.id);
      await noEmailPending(roster.server.deps, email);
      expect(roster.smtp.to(email)).toHaveLength(0);
    });

    it('is_developer defaults to false for annotators and true otherwise', async () => {
      const annotator = await post({
        ...member(uniqueEmail(), 'none'),
        role: { type: 'predefined', name: 'annotator' },
      });
      expect(annotator.body.is_developer).toBe(false);
      const admin2 = await post({
        ...member(uniqueEmail(), 'none'),
        role: { type: 'predefined', name: 'admin' },
      });
      expect(admin2.body.is_developer).toBe(true);
    });

    it('trims the name and keeps the email as given, comparing it case-insensitively', async () => {
      const email = uniqueEmail('MiXeD');
      const first = await post({ ...member(email), name: '  Ada  ' });
      expect(first.body.name).toBe('Ada');
      expect(first.body.email).toBe(email);
      const again = await post(member(email.toUpperCase()));
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
    });

    it('invited + email_link answers 200 with the user as it is, and sends no new email', async () => {
      const email = uniqueEmail();
      const first = await post(member(email));
      await roster.smtp.waitFor((m) => m.to.includes(email));
      const again = await post({ ...member(email), name: 'Another Name' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({
        ...first.body,
        invite_mode: undefined,
        name: 'Grace Hopper',
      } as never);
      await noEmailPending(roster.server.deps, email);
      expect(roster.smtp.to(email)).toHaveLength(1);
    });

    it('invited + none activates the user as an SSO user and revokes the invitation: 200', async () => {
      const email = uniqueEmail();
      const first = await post(member(email));
      const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
      const activated = await post(member(email, 'none'));
      expect(activated.status).toBe(200);
      expect(activated.body).toMatchObject({ id: first.body.id, status: 'active' });
      expect(activated.body.invite_mode).toBeUndefined();
      const token = new URL(linkIn(mail!, '/invitations/accept')).searchParams.get('token')!;
      const live = await roster.server.deps.db.kysely
        .selectFrom('user_tokens')
        .selectAll()
        .where('purpose', '=', 'invitation')
        .where('revoked_at', 'is', null)
        .where('consumed_at', 'is', null)
        .where('user_id', '=', Buffer.from(first.body.id, 'base64').toString().slice(5))
        .execute();
      expect(live).toHaveLength(0);
      expect(token.length).toBeGreaterThan(20);
    });

    it('expired + email_link re-invites the same user with the request fields: 201 and a new email', async () => {
      const email = uniqueEmail();
      const first = await post(member(email));
      await roster.smtp.waitFor((m) => m.to.includes(email));
      roster.clock.advance(8 * DAY);
      try {
        expect((await get(first.body.id)).body.status).toBe('expired');
        const again = await post({
          ...member(email),
          name: 'Renamed',
          role: { type: 'predefined', name: 'annotator' },
          is_developer: false,
        });
        expect(again.status).toBe(201);
        expect(again.body).toMatchObject({
          id: first.body.id,
          name: 'Renamed',
          status: 'invited',
          role: { name: 'annotator' },
          is_developer: false,
          invite_mode: 'email_link',
        });
        await expectStored(again.body);
        await roster.smtp.waitFor((m) => m.to.includes(email), 2);
      } finally {
        roster.clock.advance(-8 * DAY);
      }
    });

    it('expired + temporary_password issues a new password: 201', async () => {
      const email = uniqueEmail();
      const first = await post(member(email, 'temporary_password'));
      roster.clock.advance(8 * DAY);
      try {
        const again = await post(member(email, 'temporary_password'));
        expect(again.status).toBe(201);
        expect(again.body.temporary_password).toMatch(/^\S{16,}$/);
        expect(again.body.temporary_password).not.toBe(first.body.temporary_password);
        await expectStored(again.body);
      } finally {
        roster.clock.advance(-8 * DAY);
      }
    });

    it("expired + none activates with the request's name, role and is_developer: 200", async () => {
      const email = uniqueEmail();
      await post(member(email));
      roster.clock.advance(8 * DAY);
      try {
        const again = await post({
          ...member(email, 'none'),
          name: 'Renamed',
          role: { type: 'predefined', name: 'annotator' },
        });
        expect(again.status).toBe(200);
        expect(again.body).toMatchObject({
          status: 'active',
          name: 'Renamed',
          role: { name: 'annotator' },
          is_developer: false,
        });
        await expectStored(again.body);
      } finally {
        roster.clock.advance(-8 * DAY);
      }
    });

    it.each(['none', 'email_link', 'temporary_password'])(
      'active + %s answers 409',
      async (mode) => {
        const email = uniqueEmail();
        await post(member(email, 'none'));
        const again = await post(member(email, mode));
        expect(again.status).toBe(409);
        expect(again.headers.get('content-type')).toContain('application/problem+json');
        expect(again.body).toMatchObject({ status: 409, title: 'Conflict', instance: '/v2/users' });
      },
    );

    it.each(['none', 'email_link', 'temporary_password'])(
      'deleted + %s answers 409',
      async (mode) => {
        const email = uniqueEmail();
        const created = await post(member(email, 'none'));
        expect((await roster.api(admin.key, 'DELETE', `/v2/users/${created.body.id}`)).status).toBe(
          204,
        );
        expect((await post(member(email, mode))).status).toBe(409);
      },
    );

    it('50 concurrent identical creates give one user, one invitation, one email, and only 2xx', async () => {
      const email = uniqueEmail('race');
      const before = await outboxCount();
      const responses = await Promise.all(Array.from({ length: 50 }, () => post(member(email))));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(49);
      expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
      expect((await outboxCount()) - before).toBe(1);
      const tokens = await roster.server.deps.db.kysely
        .selectFrom('user_tokens')
        .select('id')
        .where('user_id', '=', Buffer.from(responses[0]!.body.id, 'base64').toString().slice(5))
        .execute();
      expect(tokens).toHaveLength(1);
      await roster.smtp.waitFor((m) => m.to.includes(email));
      await noEmailPending(roster.server.deps, email);
      expect(roster.smtp.to(email)).toHaveLength(1);
    });

    it('accepts upper-case enum spellings and answers lower case', async () => {
      const response = await post({
        name: 'Up',
        email: uniqueEmail(),
        role: { type: 'PREDEFINED', name: 'MEMBER' },
        invite_mode: 'NONE',
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        status: 'active',
        role: { type: 'predefined', name: 'member' },
        invite_mode: 'none',
      });
    });

    it('answers upper case to a request that carries sdk-language', async () => {
      const response = await roster.api(
        admin.key,
        'POST',
        '/v2/users',
        member(uniqueEmail(), 'temporary_password'),
        { 'sdk-language': 'javascript' },
      );
      expect(response.body).toMatchObject({
        status: 'INVITED',
        role: { type: 'PREDEFINED', name: 'MEMBER' },
        invite_mode: 'TEMPORARY_PASSWORD',
      });
    });

    it('a custom role id that is no role of the account is a 400 naming it', async () => {
      const response = await post({
        ...member(uniqueEmail()),
        role: { type: 'custom', id: 'abc' },
      });
      expect(response.status).toBe(400);
      expect(response.body.detail).toBe('role.id abc is not a custom role of your account');
    });

    const badBodies: Array<[string, unknown, RegExp]> = [
      [
        'missing name',
        {
          email: 'bad-input@example.com',
          role: { type: 'predefined', name: 'member' },
          invite_mode: 'none',
        },
        /name/,
      ],
      ['whitespace name', { ...member('bad-input@example.com'), name: '   ' }, /name/],
      ['256-character name', { ...member('bad-input@example.com'), name: 'x'.repeat(256) }, /name/],
      ['email without @', member('not-an-email'), /email/],
      ['email with two @', member('a@b@example.com'), /email/],
      ['email over 254 characters', member(`${'a'.repeat(60)}@${'b'.repeat(190)}.com`), /email/],
      [
        'unknown role',
        { ...member('bad-input@example.com'), role: { type: 'predefined', name: 'owner' } },
        /role/,
      ],
      ['unknown invite mode', member('bad-input@example.com', 'carrier_pigeon'), /invite_mode/],
      [
        'missing invite mode',
        { name: 'x', email: 'bad-input@example.com', role: { type: 'predefined', name: 'member' } },
        /invite_mode/,
      ],
      ['unknown field', { ...member('bad-input@example.com'), status: 'active' }, /status/],
      [
        'is_developer not boolean',
        { ...member('bad-input@example.com'), is_developer: 'yes' },
        /is_developer/,
      ],
      ['array body', [member('bad-input@example.com')], /body/],
    ];
    it.each(badBodies)(
      '%s is a 400 naming the problem, and writes nothing',
      async (_label, body, detail) => {
        const before = await outboxCount();
        const response = await post(body);
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        expect(response.body.detail).toMatch(detail);
        expect(await outboxCount()).toBe(before);
        const list = await roster.api(admin.key, 'GET', '/v2/users?email=bad-input%40example.com');
        expect(list.body.users).toHaveLength(0);
      },
    );

    it('a body that is not JSON is a 415, malformed JSON a 400', async () => {
      const text = await roster.api(admin.key, 'POST', '/v2/users', 'name=x', {
        'content-type': 'text/plain',
      });
      expect(text.status).toBe(415);
      expect(text.body.status).toBe(415);
      const broken = await roster.api(admin.key, 'POST', '/v2/users', '{"name":', {
        'content-type': 'application/json',
      });
      expect(broken.status).toBe(400);
      expect(broken.body.status).toBe(400);
    });
  });

  describe('get, list', () => {
    it('get answers the user; unknown, malformed, other-type and other-account ids are 404', async () => {
      const created = await post(member(uniqueEmail(), 'none'));
      expect((await get(created.body.id)).body).toMatchObject({
        id: created.body.id,
        status: 'active',
      });
      const other = await roster.newAccount();
      expect((await get(created.body.id, other.key)).status).toBe(404);
      expect((await get('bm9wZQ==')).status).toBe(404);
      expect((await get('not~base64!')).status).toBe(404);
      expect(
        (await get(Buffer.from('ApiKey:01ARZ3NDEKTSV4RRFFQ69G5FAV').toString('base64'))).status,
      ).toBe(404);
      expect(
        (await get(Buffer.from('User:01ARZ3NDEKTSV4RRFFQ69G5FAV').toString('base64'))).status,
      ).toBe(404);
    });

    it('lists in created_at order with keyset pagination, an email filter and a status filter', async () => {
      const owner = await roster.newAccount();
      const tag = `pg${Date.now().toString(36)}`;
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const response = await post(
          member(`${tag}-${i}@Example.com`, i % 2 === 0 ? 'none' : 'email_link'),
          owner.key,
        );
        ids.push(response.body.id);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await roster.api(
          owner.key,
          'GET',
          `/v2/users?limit=3&email=${tag.toUpperCase()}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        seen.push(...page.body.users.map((u: { id: string }) => u.id));
        if (!page.body.pagination.has_more) {
          expect(page.body.pagination.next_cursor).toBeUndefined();
          break;
        }
        cursor = page.body.pagination.next_cursor;
      }
      expect(seen).toEqual(ids);
      const invited = await roster.api(owner.key, 'GET', `/v2/users?status=invited&email=${tag}`);
      expect(invited.body.users.map((u: { id: string }) => u.id)).toEqual([ids[1], ids[3], ids[5]]);
      const both = await roster.api(
        owner.key,
        'GET',
        `/v2/users?status=ACTIVE&status=invited&email=${tag}`,
      );
      expect(both.body.users).toHaveLength(7);
      const all = await roster.api(owner.key, 'GET', '/v2/users');
      expect(all.body.users.map((u: { email: string }) => u.email)).toContain(owner.email);
    });

    it('a deleted user is never listed; an expired one is listed as expired', async () => {
      const owner = await roster.newAccount();
      const gone = await post(member(uniqueEmail(), 'none'), owner.key);
      await roster.api(owner.key, 'DELETE', `/v2/users/${gone.body.id}`);
      const pending = await post(member(uniqueEmail()), owner.key);
      roster.clock.advance(8 * DAY);
      try {
        const list = await roster.api(owner.key, 'GET', '/v2/users');
        const ids = list.body.users.map((u: { id: string }) => u.id);
        expect(ids).not.toContain(gone.body.id);
        expect(list.body.users.find((u: { id: string }) => u.id === pending.body.id).status).toBe(
          'expired',
        );
        const expired = await roster.api(owner.key, 'GET', '/v2/users?status=expired');
        expect(expired.body.users.map((u: { id: string }) => u.id)).toEqual([pending.body.id]);
      } finally {
        roster.clock.advance(-8 * DAY);
      }
    });

    it.each([
      'limit=0',
      'limit=101',
      'limit=-1',
      'limit=abc',
      'cursor=forged',
      'cursor=WzEsIngiXQ',
      'status=deleted',
      'colour=red',
    ])('list with %s is a 400', async (query) => {
      const response = await roster.api(admin.key, 'GET', `/v2/users?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.status).toBe(400);
    });
  });

  describe('update', () => {
    it('trims the name, and setting is_developer to its current value changes nothing', async () => {
      const created = await post(member(uniqueEmail(), 'none'));
      const renamed = await roster.api(admin.key, 'PATCH', `/v2/users/${created.body.id}`, {
        name: '  New Name ',
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe('New Name');
      const same = await roster.api(admin.key, 'PATCH', `/v2/users/${created.body.id}`, {
        is_developer: true,
      });
      expect(same.body).toEqual(renamed.body);
    });

    it.each([
      ['{}', {}],
      ['whitespace-only name', { name: '  ' }],
      ['256-character name', { name: 'y'.repeat(256) }],
      ['email', { email: 'x@example.com' }],
      ['unknown predefined role', { role: { type: 'predefined', name: 'owner' } }],
      ['role without a type', { role: { name: 'admin' } }],
      ['id', { id: 'x' }],
      ['status', { status: 'active' }],
      ['null name', { name: null }],
    ])('%s is a 400', async (_label, body) => {
      const created = await post(member(uniqueEmail(), 'none'));
      const response = await roster.api(admin.key, 'PATCH', `/v2/users/${created.body.id}`, body);
      expect(response.status).toBe(400);
      expect((await get(created.body.id)).body).toEqual({
        ...created.body,
        invite_mode: undefined,
      } as never);
    });

    it('is_developer needs the admin role; name needs USER_UPDATE', async () => {
      const owner = await roster.newAccount();
      const memberCaller = await roster.newCaller(owner, 'member');
      const target = await post(member(uniqueEmail(), 'none'), owner.key);
      expect(
        (
          await roster.api(memberCaller.key, 'PATCH', `/v2/users/${target.body.id}`, {
            is_developer: false,
          })
        ).status,
      ).toBe(403);
      expect(
        (await roster.api(memberCaller.key, 'PATCH', `/v2/users/${target.body.id}`, { name: 'x' }))
          .status,
      ).toBe(403);
      const ok = await roster.api(owner.key, 'PATCH', `/v2/users/${target.body.id}`, {
        is_developer: false,
      });
      expect(ok.body.is_developer).toBe(false);
    });

    it('a user made non-developer can no longer use its API keys: 403', async () => {
      const owner = await roster.newAccount();
      const dev = await roster.newCaller(owner, 'member');
      expect((await roster.api(dev.key, 'GET', '/v2/users')).status).toBe(200);
      await roster.api(owner.key, 'PATCH', `/v2/users/${dev.userId}`, { is_developer: false });
      expect((await roster.api(dev.key, 'GET', '/v2/users')).status).toBe(403);
    });
  });

  describe('delete', () => {
    it('is terminal and idempotent; the user disappears; its keys stop working at once', async () => {
      const owner = await roster.newAccount();
      const victim = await roster.newCaller(owner, 'member');
      expect((await roster.api(owner.key, 'DELETE', `/v2/users/${victim.userId}`)).status).toBe(
        204,
      );
      expect((await roster.api(owner.key, 'DELETE', `/v2/users/${victim.userId}`)).status).toBe(
        204,
      );
      expect((await get(victim.userId, owner.key)).status).toBe(404);
      expect(
        (await roster.api(owner.key, 'PATCH', `/v2/users/${victim.userId}`, { name: 'x' })).status,
      ).toBe(404);
      expect((await roster.api(victim.key, 'GET', '/v2/users')).status).toBe(401);
    });

    it('deleting yourself is a 400; members and annotators may not delete: 403', async () => {
      const owner = await roster.newAccount();
      expect((await roster.api(owner.key, 'DELETE', `/v2/users/${owner.userId}`)).status).toBe(400);
      const m = await roster.newCaller(owner, 'member');
      const a = await roster.newCaller(owner, 'annotator');
      expect((await roster.api(m.key, 'DELETE', `/v2/users/${owner.userId}`)).status).toBe(403);
      expect((await roster.api(a.key, 'DELETE', `/v2/users/${owner.userId}`)).status).toBe(403);
    });

    it('the pending invitation dies with the user', async () => {
      const email = uniqueEmail();
      const created = await post(member(email));
      await roster.smtp.waitFor((m) => m.to.includes(email));
      await roster.api(admin.key, 'DELETE', `/v2/users/${created.body.id}`);
      const live = await roster.server.deps.db.kysely
        .selectFrom('user_tokens')
        .select('id')
        .where('user_id', '=', Buffer.from(created.body.id, 'base64').toString().slice(5))
        .where('revoked_at', 'is', null)
        .execute();
      expect(live).toHaveLength(0);
    });
  });

  describe('resend invitation, reset password', () => {
    it('resend issues a fresh link by email and revokes the old one', async () => {
      const email = uniqueEmail();
      const created = await post(member(email, 'temporary_password'));
      const response = await roster.api(
        admin.key,
        'POST',
        `/v2/users/${created.body.id}/resend-invitation`,
      );
      expect(response.status).toBe(204);
      const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
      expect(linkIn(mail!, '/invitations/accept')).toContain('token=');
      const again = await roster.api(
        admin.key,
        'POST',
        `/v2/users/${created.body.id}/resend-invitation`,
      );
      expect(again.status).toBe(204);
      const mails = await roster.smtp.waitFor((m) => m.to.includes(email), 2);
      expect(linkIn(mails[0]!, 'token=')).not.toBe(linkIn(mails[1]!, 'token='));
    });

    it('resend for an active or expired user is a 400', async () => {
      const active = await post(member(uniqueEmail(), 'none'));
      expect(
        (await roster.api(admin.key, 'POST', `/v2/users/${active.body.id}/resend-invitation`))
          .status,
      ).toBe(400);
      const pending = await post(member(uniqueEmail()));
      roster.clock.advance(8 * DAY);
      try {
        expect(
          (await roster.api(admin.key, 'POST', `/v2/users/${pending.body.id}/resend-invitation`))
            .status,
        ).toBe(400);
      } finally {
        roster.clock.advance(-8 * DAY);
      }
    });

    it('reset-password for an SSO-only or invited user is a 400', async () => {
      const sso = await post(member(uniqueEmail(), 'none'));
      expect(
        (await roster.api(admin.key, 'POST', `/v2/users/${sso.body.id}/reset-password`)).status,
      ).toBe(400);
      const invited = await post(member(uniqueEmail()));
      expect(
        (await roster.api(admin.key, 'POST', `/v2/users/${invited.body.id}/reset-password`)).status,
      ).toBe(400);
    });
  });

  describe('authentication and roles', () => {
    it('no key, a malformed key and an unknown key are 401 problems', async () => {
      for (const headers of <Record<string, string>[]>[
        {},
        { authorization: 'Basic abc' },
        { authorization: 'Bearer rstr_unknownunknownunknown' },
      ]) {
        const response = await roster.api(undefined, 'GET', '/v2/users', undefined, headers);
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ status: 401, instance: '/v2/users' });
      }
    });

    it('members read but do not write; annotators do neither', async () => {
      const owner = await roster.newAccount();
      const m = await roster.newCaller(owner, 'member');
      const a = await roster.newCaller(owner, 'annotator');
      expect((await roster.api(m.key, 'GET', '/v2/users')).status).toBe(200);
      expect((await roster.api(m.key, 'GET', `/v2/users/${owner.userId}`)).status).toBe(200);
      expect((await roster.api(m.key, 'POST', '/v2/users', member(uniqueEmail()))).status).toBe(
        403,
      );
      expect((await roster.api(a.key, 'GET', '/v2/users')).status).toBe(403);
      expect((await roster.api(a.key, 'GET', `/v2/users/${owner.userId}`)).status).toBe(404);
      expect((await roster.api(a.key, 'POST', '/v2/users', member(uniqueEmail()))).status).toBe(
        403,
      );
    });

    it('another account never sees or touches users of this one', async () => {
      const owner = await roster.newAccount();
      const stranger = await roster.newAccount();
      const target = await post(member(uniqueEmail(), 'none'), owner.key);
      const path = `/v2/users/${target.body.id}`;
      expect((await roster.api(stranger.key, 'GET', path)).status).toBe(404);
      expect((await roster.api(stranger.key, 'PATCH', path, { name: 'x' })).status).toBe(404);
      expect((await roster.api(stranger.key, 'DELETE', path)).status).toBe(404);
      expect((await roster.api(stranger.key, 'POST', `${path}/resend-invitation`)).status).toBe(
        404,
      );
      expect((await roster.api(stranger.key, 'POST', `${path}/reset-password`)).status).toBe(404);
      const list = await roster.api(stranger.key, 'GET', '/v2/users');
      expect(list.body.users.map((u: { id: string }) => u.id)).toEqual([stranger.userId]);
      expect((await get(target.body.id, owner.key)).body.name).toBe('Grace Hopper');
    });
  });
});
