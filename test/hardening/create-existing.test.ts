/**
 * A create that finds the email already invited or expired: whether it activates the user
 * (`none`) or re-invites it (an invite mode), the user ends up with the request's name, role and
 * is_developer; a create that returns an invited user as it is changes nothing.
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, uniqueEmail, type Caller, useRoster } from '../support/roster.js';
import { decodeId } from '../../src/http/global-id.js';
import { checkInvariants } from './invariants.js';

const DAY = 24 * 3600 * 1000;

type Role = 'admin' | 'member' | 'annotator';

function body(
  email: string,
  mode: string,
  role: Role,
  extra: { name?: string; is_developer?: boolean } = {},
) {
  return {
    name: extra.name ?? 'First Name',
    email,
    role: { type: 'predefined', name: role },
    invite_mode: mode,
    ...(extra.is_developer !== undefined ? { is_developer: extra.is_developer } : {}),
  };
}

describeEachDatabase('a create of an invited or expired email', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  const post = (payload: unknown) => roster.api(admin.key, 'POST', '/v2/users', payload);
  const stored = (id: string) =>
    roster.server.deps.db.kysely
      .selectFrom('users')
      .select(['name', 'role', 'is_developer', 'state'])
      .where('id', '=', decodeId('User', id)!)
      .executeTakeFirstOrThrow();

  async function expire<T>(work: () => Promise<T>): Promise<T> {
    roster.clock.advance(8 * DAY);
    try {
      return await work();
    } finally {
      roster.clock.advance(-8 * DAY);
    }
  }

  it('an expired admin invitation activated with none and role member makes an active member', async () => {
    const email = uniqueEmail('expired-admin');
    const first = await post(body(email, 'email_link', 'admin'));
    expect(first.status).toBe(201);
    const activated = await expire(() =>
      post(body(email, 'none', 'member', { name: 'Second Name', is_developer: false })),
    );
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({
      id: first.body.id,
      name: 'Second Name',
      status: 'active',
      role: { type: 'predefined', name: 'member' },
      is_developer: false,
    });
    expect(await stored(first.body.id)).toEqual({
      name: 'Second Name',
      role: 'member',
      is_developer: 0,
      state: 'active',
    });
    const read = await roster.api(admin.key, 'GET', `/v2/users/${first.body.id}`);
    expect(read.body).toEqual(activated.body);
  });

  it.each(['email_link', 'temporary_password'])(
    'a live %s admin invitation activated with none and role annotator makes an annotator, not a developer by default',
    async (mode) => {
      const email = uniqueEmail('invited-admin');
      const first = await post(body(email, mode, 'admin', { is_developer: true }));
      expect(first.status).toBe(201);
      const activated = await post(body(email, 'none', 'annotator', { name: 'Annie' }));
      expect(activated.status).toBe(200);
      expect(activated.body).toMatchObject({
        id: first.body.id,
        name: 'Annie',
        status: 'active',
        role: { name: 'annotator' },
        is_developer: false,
      });
      expect(await stored(first.body.id)).toMatchObject({ role: 'annotator', is_developer: 0 });
    },
  );

  it('activating and re-inviting follow one rule: the request decides name, role and is_developer', async () => {
    const outcomes: Record<string, unknown> = {};
    for (const mode of ['none', 'email_link', 'temporary_password']) {
      const email = uniqueEmail(`rule-${mode}`);
      expect((await post(body(email, 'email_link', 'admin'))).status).toBe(201);
      const again = await expire(() =>
        post(body(email, mode, 'member', { name: 'Renamed', is_developer: false })),
      );
      expect(again.status, mode).toBe(mode === 'none' ? 200 : 201);
      const row = await stored(again.body.id);
      outcomes[mode] = { name: row.name, role: row.role, is_developer: row.is_developer };
    }
    const expected = { name: 'Renamed', role: 'member', is_developer: 0 };
    expect(outcomes).toEqual({
      none: expected,
      email_link: expected,
      temporary_password: expected,
    });
  });

  it('a create that returns a live invitation as it is changes nothing', async () => {
    const email = uniqueEmail('as-is');
    const first = await post(body(email, 'email_link', 'admin'));
    const again = await post(body(email, 'email_link', 'member', { name: 'Other' }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ name: 'First Name', role: { name: 'admin' } });
    expect(await stored(first.body.id)).toMatchObject({ name: 'First Name', role: 'admin' });
  });
});
