/** Concurrent requests that race for the same user: the database decides, nobody sees a 500. */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { decodeId } from '../../src/http/global-id.js';
import { checkInvariants } from './invariants.js';

const MODES = ['none', 'email_link', 'temporary_password'] as const;

describeEachDatabase('races', (database) => {
  const logs: string[] = [];
  const roster = useRoster(database, { logStream: (line) => logs.push(line) });
  let admin: Caller;
  const secrets: string[] = [];

  beforeAll(async () => {
    admin = await roster.newAccount();
    secrets.push(admin.key);
  });
  // The invariants hold after every scenario, whatever it did.
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  const create = (email: string, mode: string) =>
    roster.api(admin.key, 'POST', '/v2/users', {
      name: 'Racer',
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: mode,
    });

  it('50 concurrent identical creates: one user, one invitation, one outbox row; 201 once, 200 otherwise', async () => {
    const email = uniqueEmail('same');
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => create(email, 'temporary_password')),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    const winner = responses.find((r) => r.status === 201)!;
    secrets.push(winner.body.temporary_password);
    expect(responses.filter((r) => r.body.temporary_password)).toHaveLength(1);
    const userId = decodeId('User', winner.body.id)!;
    const tokens = await roster.server.deps.db.kysely
      .selectFrom('user_tokens')
      .select('id')
      .where('user_id', '=', userId)
      .execute();
    expect(tokens).toHaveLength(1);
    await checkInvariants(roster.server.deps.db, { secrets, logs: logs.join('\n') });
  });

  it('50 concurrent creates of one email in different modes: one winner, the rest 200 or 409', async () => {
    const email = uniqueEmail('modes');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => create(email, MODES[i % 3]!)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(
      statuses.every((s) => s === 201 || s === 200 || s === 409),
      statuses.join(','),
    ).toBe(true);
    expect(new Set(responses.filter((r) => r.status < 300).map((r) => r.body.id)).size).toBe(1);
    for (const r of responses)
      if (r.body.temporary_password) secrets.push(r.body.temporary_password);
    const list = await roster.api(admin.key, 'GET', `/v2/users?email=${encodeURIComponent(email)}`);
    expect(list.body.users).toHaveLength(1);
    const outbox = await roster.server.deps.db.kysely
      .selectFrom('outbox')
      .select('id')
      .where('recipient', '=', email)
      .execute();
    expect(outbox.length).toBeLessThanOrEqual(1);
    await checkInvariants(roster.server.deps.db, { secrets, logs: logs.join('\n') });
  });

  it('concurrent re-invitations of an expired user: one new invitation, 201 once', async () => {
    const email = uniqueEmail('expired');
    await create(email, 'email_link');
    await roster.smtp.waitFor((m) => m.to.includes(email)); // settle the outbox before time jumps
    roster.clock.advance(8 * 24 * 3600 * 1000);
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => create(email, 'email_link')),
      );
      expect(
        responses.filter((r) => r.status === 201),
        JSON.stringify(responses.map((r) => [r.status, r.body])),
      ).toHaveLength(1);
      expect(responses.filter((r) => r.status === 200)).toHaveLength(19);
      await checkInvariants(roster.server.deps.db, { now: roster.clock.now() });
    } finally {
      roster.clock.advance(-8 * 24 * 3600 * 1000);
    }
  });

  it('concurrent PATCHes: the result is one of the requests, never a mix', async () => {
    const created = await create(uniqueEmail('patch'), 'none');
    const bodies = Array.from({ length: 20 }, (_, i) => ({
      name: `Name ${i}`,
      is_developer: i % 2 === 0,
    }));
    const responses = await Promise.all(
      bodies.map((body) => roster.api(admin.key, 'PATCH', `/v2/users/${created.body.id}`, body)),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const final = (await roster.api(admin.key, 'GET', `/v2/users/${created.body.id}`)).body;
    const match = bodies.find((b) => b.name === final.name);
    expect(match).toBeDefined();
    expect(final.is_developer).toBe(match!.is_developer);
  });

  it('concurrent deletes and updates of one user: deleted wins, no 500', async () => {
    const created = await create(uniqueEmail('del'), 'none');
    const path = `/v2/users/${created.body.id}`;
    const responses = await Promise.all([
      ...Array.from({ length: 5 }, () => roster.api(admin.key, 'DELETE', path)),
      ...Array.from({ length: 5 }, (_, i) =>
        roster.api(admin.key, 'PATCH', path, { name: `n${i}` }),
      ),
    ]);
    for (const r of responses) expect([200, 204, 404]).toContain(r.status);
    expect((await roster.api(admin.key, 'GET', path)).status).toBe(404);
    expect(logs.join('\n')).not.toMatch(/"statusCode":5\d\d/);
  });
});
