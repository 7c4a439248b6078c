import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';
import { alertOf, cookieAttributes, newVisitor, tokenOf } from './visitor.js';
import { emailedLink, invite, statusOf, strongPassword } from './people.js';
import { outboxRows } from '../support/outbox.js';

const DAY = 24 * 3600 * 1000;

describeEachDatabase('accepting an invitation', (database) => {
  const roster = useRoster(database);
  let admin: Caller;
  let accountName: string;

  beforeAll(async () => {
    admin = await roster.newAccount();
    accountName = `Account ${admin.email}`;
  });

  async function invitedWithLink() {
    const person = await invite(roster, admin);
    const link = await emailedLink(roster, person.email, '/invitations/accept');
    return { person, link, token: tokenOf(link) };
  }

  it('the emailed link shows who is invited to which account, with a labelled form, and opening it uses nothing', async () => {
    const { person, link } = await invitedWithLink();
    const browser = newVisitor(roster.url);
    for (let i = 0; i < 3; i++) {
      const page = await browser.get(link);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain(person.name);
      expect(page.body).toContain(person.email);
      expect(page.body).toContain(accountName);
      expect(page.body).toMatch(/<label for="password">New password<\/label>/);
      expect(page.body).toMatch(/<label for="confirmation">Confirm new password<\/label>/);
      expect(page.body).toMatch(/id="password"\s+name="password"\s+type="password"/);
    }
    expect(await statusOf(roster, admin, person.id)).toBe('invited');
  });

  it('choosing a password makes the user active, signs them in and lands on a "you\'re in" page', async () => {
    const { person, link, token } = await invitedWithLink();
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const password = strongPassword();
    const accepted = await browser.post('/invitations/accept', {
      token,
      password,
      confirmation: password,
    });
    expect(accepted.status).toBe(303);
    expect(accepted.location).toBe('/account?notice=welcome');
    expect(cookieAttributes(accepted, 'roster_session')).toEqual(
      expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']),
    );
    const landing = await browser.follow(accepted);
    expect(landing.status).toBe(200);
    expect(landing.body).toContain('You’re in');
    expect(landing.body).toContain(person.name);
    expect(landing.body).toContain(accountName);
    expect(await statusOf(roster, admin, person.id)).toBe('active');

    const again = newVisitor(roster.url);
    await again.get('/login');
    const signedIn = await again.post('/login', { email: person.email, password });
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/account');
  });

  it('a used link shows the same "no longer valid" page as an unknown one', async () => {
    const { link, token } = await invitedWithLink();
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const password = strongPassword();
    const first = await browser.post('/invitations/accept', {
      token,
      password,
      confirmation: password,
    });
    expect(first.status).toBe(303);

    const other = newVisitor(roster.url);
    const used = await other.get(link);
    const unknown = await other.get(`/invitations/accept?token=${'A'.repeat(43)}`);
    const garbage = await other.get('/invitations/accept?token=%3Cscript%3E');
    const missing = await other.get('/invitations/accept');
    for (const page of [used, unknown, garbage, missing]) {
      expect(page.status).toBe(410);
      expect(page.body).toContain('This invitation link is no longer valid');
      expect(page.body).toContain('Ask an admin');
      expect(page.body).not.toMatch(/stack|Error:/);
    }
    expect(used.body).toBe(unknown.body);
    await other.get('/login');
    const usedAgain = await other.post('/invitations/accept', {
      token,
      password: strongPassword(),
      confirmation: 'x',
    });
    expect(usedAgain.status).toBe(410);
    expect(usedAgain.body).toBe(unknown.body);
  });

  it('16 concurrent submissions of one token: exactly one succeeds', async () => {
    const { person, link, token } = await invitedWithLink();
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const csrf = browser.csrf!;
    const cookies = new Map(browser.cookies);
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => {
        const attempt = newVisitor(roster.url);
        for (const [k, v] of cookies) attempt.cookies.set(k, v);
        const password = `${strongPassword()}-${i}`;
        return attempt.post('/invitations/accept', {
          _csrf: csrf,
          token,
          password,
          confirmation: password,
        });
      }),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 410)).toHaveLength(15);
    expect(await statusOf(roster, admin, person.id)).toBe('active');
    const sessions = await roster.server.deps.db.kysely
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', person.internalId)
      .execute();
    expect(sessions).toHaveLength(1);
  });

  it('an expired link shows the same page, and submitting it does nothing', async () => {
    const { person, link, token } = await invitedWithLink();
    const browser = newVisitor(roster.url);
    await browser.get(link);
    roster.clock.advance(7 * DAY + 1000);
    try {
      const page = await browser.get(link);
      expect(page.status).toBe(410);
      expect(page.body).toContain('This invitation link is no longer valid');
      const password = strongPassword();
      const posted = await browser.post('/invitations/accept', {
        token,
        password,
        confirmation: password,
      });
      expect(posted.status).toBe(410);
      expect(await statusOf(roster, admin, person.id)).toBe('expired');
    } finally {
      roster.clock.advance(-(7 * DAY + 1000));
    }
  });

  it('a link replaced by a resent invitation is dead; the new one works', async () => {
    const { person, link } = await invitedWithLink();
    const resent = await roster.api(admin.key, 'POST', `/v2/users/${person.id}/resend-invitation`);
    expect(resent.status).toBe(204);
    const newLink = await emailedLink(roster, person.email, '/invitations/accept', 2);
    expect(newLink).not.toBe(link);
    const browser = newVisitor(roster.url);
    expect((await browser.get(link)).status).toBe(410);
    expect((await browser.get(newLink)).status).toBe(200);
    const password = strongPassword();
    const accepted = await browser.post('/invitations/accept', {
      token: tokenOf(newLink),
      password,
      confirmation: password,
    });
    expect(accepted.status).toBe(303);
  });

  it('a deleted user never becomes active, even from a form opened before the deletion', async () => {
    const { person, link, token } = await invitedWithLink();
    const browser = newVisitor(roster.url);
    expect((await browser.get(link)).status).toBe(200);
    expect((await roster.api(admin.key, 'DELETE', `/v2/users/${person.id}`)).status).toBe(204);
    const password = strongPassword();
    const posted = await browser.post('/invitations/accept', {
      token,
      password,
      confirmation: password,
    });
    expect(posted.status).toBe(410);
    expect(posted.body).toContain('This invitation link is no longer valid');
    expect((await browser.get(link)).status).toBe(410);
    const row = await roster.server.deps.db.kysely
      .selectFrom('users')
      .select(['state', 'password_hash'])
      .where('id', '=', person.internalId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'inactive', password_hash: null });
  });

  it('a refused password (mismatch, too short, too long, common) explains why and keeps the link usable', async () => {
    const { person, link, token } = await invitedWithLink();
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const cases: Array<[string, string, RegExp]> = [
      ['Quiet-Lantern-1', 'Quiet-Lantern-2', /do not match/],
      ['short7!', 'short7!', /at least 8 characters/],
      ['x'.repeat(257), 'x'.repeat(257), /at most 256 characters/],
      ['password123', 'password123', /most common/],
      ['iloveyou2', 'iloveyou2', /most common/],
      [person.email, person.email, /email address or your name/],
    ];
    for (const [password, confirmation, message] of cases) {
      const page = await browser.post('/invitations/accept', { token, password, confirmation });
      expect(page.status).toBe(422);
      expect(alertOf(page)).toMatch(message);
      expect(page.body).toContain('aria-invalid="true"');
    }
    expect(await statusOf(roster, admin, person.id)).toBe('invited');
    const longest = 'y'.repeat(200) + 'Ünïcødé-' + 'z'.repeat(48);
    const accepted = await browser.post('/invitations/accept', {
      token,
      password: longest,
      confirmation: longest,
    });
    expect(accepted.status).toBe(303);
    expect(await statusOf(roster, admin, person.id)).toBe('active');
  });

  it('a temporary-password invitation has no link to accept', async () => {
    const person = await invite(roster, admin, 'temporary_password');
    // The create queued no email, so none can be sent.
    expect(await outboxRows(roster.server.deps, person.email)).toEqual([]);
    expect(roster.smtp.to(person.email)).toHaveLength(0);
  });
});
