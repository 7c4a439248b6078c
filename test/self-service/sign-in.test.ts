import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { alertOf, newVisitor } from './visitor.js';
import {
  activePerson,
  emailedLink,
  invite,
  sessionCount,
  signIn,
  statusOf,
  strongPassword,
} from './people.js';

const DAY = 24 * 3600 * 1000;

describeEachDatabase('signing in', (database) => {
  const roster = useRoster(database);
  let admin: Caller;
  let accountName: string;

  beforeAll(async () => {
    admin = await roster.newAccount();
    accountName = `Account ${admin.email}`;
  });

  it('the sign-in page has labelled email and password fields and a forgot-password link', async () => {
    const page = await newVisitor(roster.url).get('/login');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<label for="email">Email</label>');
    expect(page.body).toContain('<label for="password">Password</label>');
    expect(page.body).toContain('autocomplete="current-password"');
    expect(page.body).toContain('href="/password/forgot"');
  });

  it('a sign-in page for an account shows its name', async () => {
    const page = await newVisitor(roster.url).get(`/login?account=${admin.accountId}`);
    expect(page.body).toContain(accountName);
    expect(page.body).toContain(`name="account" value="${admin.accountId}"`);
  });

  it('a wrong password and an unknown email get the same generic message', async () => {
    const person = await activePerson(roster, admin);
    const wrong = await signIn(newVisitor(roster.url), person.email, 'Not-The-Password-1');
    const unknown = await signIn(newVisitor(roster.url), uniqueEmail('nobody'), 'Whatever-Pass-2');
    const empty = await signIn(newVisitor(roster.url), '', '');
    for (const page of [wrong, unknown, empty]) {
      expect(page.status).toBe(401);
      expect(alertOf(page)).toBe('The email or password is not correct.');
      expect(page.setCookies.some((c) => c.startsWith('roster_session='))).toBe(false);
    }
  });

  it('the email is matched case-insensitively and the password exactly, never truncated', async () => {
    const person = await activePerson(roster, admin);
    expect(
      (await signIn(newVisitor(roster.url), person.email.toUpperCase(), person.password)).status,
    ).toBe(303);
    const upper = person.password.toUpperCase();
    expect((await signIn(newVisitor(roster.url), person.email, upper)).status).toBe(401);
    expect(
      (await signIn(newVisitor(roster.url), person.email, person.password.slice(0, -1))).status,
    ).toBe(401);

    const long = `${'w'.repeat(120)}-${strongPassword()}`;
    const change = person.browser;
    await change.get('/password/change');
    const changed = await change.post('/password/change', {
      current: person.password,
      password: long,
      confirmation: long,
    });
    expect(changed.status).toBe(303);
    expect((await signIn(newVisitor(roster.url), person.email, long.slice(0, 72))).status).toBe(
      401,
    );
    expect((await signIn(newVisitor(roster.url), person.email, long)).status).toBe(303);
  });

  it('an SSO-only user of an account without single sign-on is told it is not set up yet', async () => {
    const person = await invite(roster, admin, 'none');
    const page = await signIn(newVisitor(roster.url), person.email, 'Anything-At-All-1');
    expect(page.status).toBe(401);
    expect(alertOf(page)).toMatch(/single sign-on is not set up/);
  });

  it('an invited person who has not chosen a password yet cannot sign in', async () => {
    const person = await invite(roster, admin);
    const page = await signIn(newVisitor(roster.url), person.email, 'Anything-At-All-1');
    expect(page.status).toBe(401);
    expect(alertOf(page)).toBe('The email or password is not correct.');
  });

  it('a temporary password leads to a forced change, and nothing else is allowed until it is done', async () => {
    const person = await invite(roster, admin, 'temporary_password');
    const browser = newVisitor(roster.url);
    const signedIn = await signIn(browser, person.email, person.temporaryPassword!);
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/password/change');
    const firstSession = browser.cookies.get('roster_session');

    for (const path of [
      '/account',
      '/',
      '/login',
      '/password/forgot',
      '/invitations/accept?token=x',
    ]) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(303);
      expect(page.location, path).toBe('/password/change');
    }
    const posted = await browser.post('/password/forgot', { email: person.email });
    expect(posted.location).toBe('/password/change');

    const form = await browser.get('/password/change');
    expect(form.status).toBe(200);
    expect(form.body).toContain('temporary password');
    expect(form.body).not.toContain('name="current"');
    expect(await statusOf(roster, admin, person.id)).toBe('invited');

    const reuse = await browser.post('/password/change', {
      password: person.temporaryPassword!,
      confirmation: person.temporaryPassword!,
    });
    expect(reuse.status).toBe(422);
    expect(alertOf(reuse)).toMatch(/not the temporary one/);

    const password = strongPassword();
    const changed = await browser.post('/password/change', { password, confirmation: password });
    expect(changed.status).toBe(303);
    expect(changed.location).toBe('/account?notice=welcome');
    expect(browser.cookies.get('roster_session')).toBeDefined();
    expect(browser.cookies.get('roster_session')).not.toBe(firstSession);
    const account = await browser.follow(changed);
    expect(account.status).toBe(200);
    expect(account.body).toContain(person.name);
    expect(await statusOf(roster, admin, person.id)).toBe('active');

    expect(
      (await signIn(newVisitor(roster.url), person.email, person.temporaryPassword!)).status,
    ).toBe(401);
    const withNew = await signIn(newVisitor(roster.url), person.email, password);
    expect(withNew.location).toBe('/account');
  });

  it('after the forced change, every other session of the person has ended', async () => {
    const person = await invite(roster, admin, 'temporary_password');
    const first = newVisitor(roster.url);
    const second = newVisitor(roster.url);
    await signIn(first, person.email, person.temporaryPassword!);
    await signIn(second, person.email, person.temporaryPassword!);
    expect(await sessionCount(roster, person.internalId)).toBe(2);
    await first.get('/password/change');
    const password = strongPassword();
    expect(
      (await first.post('/password/change', { password, confirmation: password })).status,
    ).toBe(303);
    const other = await second.get('/password/change');
    expect(other.location).toBe('/login');
    expect(await sessionCount(roster, person.internalId)).toBe(1);
  });

  it('a temporary password stops working when the invitation expires, even mid-change', async () => {
    const person = await invite(roster, admin, 'temporary_password');
    const browser = newVisitor(roster.url);
    await signIn(browser, person.email, person.temporaryPassword!);
    await browser.get('/password/change');
    // The invitation runs out a minute from now, well within the session's life.
    await roster.server.deps.db.kysely
      .updateTable('user_tokens')
      .set({ expires_at: roster.clock.now() + 60_000 })
      .where('user_id', '=', person.internalId)
      .execute();
    roster.clock.advance(2 * 60_000);
    try {
      const password = strongPassword();
      const page = await browser.post('/password/change', { password, confirmation: password });
      expect(page.status).toBe(400);
      expect(page.body).toContain('temporary password has expired');
      expect((await browser.get('/account')).location).toBe('/login');
      const again = await signIn(newVisitor(roster.url), person.email, person.temporaryPassword!);
      expect(again.status).toBe(401);
      expect(await statusOf(roster, admin, person.id)).toBe('expired');
    } finally {
      roster.clock.advance(-2 * 60_000);
    }
  });

  it('a temporary password no longer signs in after the invitation lifetime', async () => {
    const person = await invite(roster, admin, 'temporary_password');
    roster.clock.advance(7 * DAY + 1000);
    try {
      const page = await signIn(newVisitor(roster.url), person.email, person.temporaryPassword!);
      expect(page.status).toBe(401);
      expect(alertOf(page)).toBe('The email or password is not correct.');
    } finally {
      roster.clock.advance(-(7 * DAY + 1000));
    }
  });

  it('a temporary password replaced by a resent invitation no longer signs in', async () => {
    const person = await invite(roster, admin, 'temporary_password');
    const resent = await roster.api(admin.key, 'POST', `/v2/users/${person.id}/resend-invitation`);
    expect(resent.status).toBe(204);
    expect(
      (await signIn(newVisitor(roster.url), person.email, person.temporaryPassword!)).status,
    ).toBe(401);
    await emailedLink(roster, person.email, '/invitations/accept');
  });

  it('/account shows the name, email, role, status and account, and a sign-out form', async () => {
    const person = await activePerson(roster, admin);
    const page = await person.browser.get('/account');
    expect(page.status).toBe(200);
    for (const text of [person.name, person.email, 'Member', 'Active', accountName]) {
      expect(page.body).toContain(text);
    }
    expect(page.body).toMatch(/<form method="post" action="\/logout">/);
    expect((await newVisitor(roster.url).get('/account')).location).toBe('/login');
  });

  it('a person in two accounts with the same password chooses the account', async () => {
    const otherAdmin = await roster.newAccount();
    const person = await activePerson(roster, admin);
    const created = await roster.api(otherAdmin.key, 'POST', '/v2/users', {
      name: 'Same Person',
      email: person.email,
      role: { type: 'predefined', name: 'annotator' },
      invite_mode: 'email_link',
    });
    expect(created.status).toBe(201);
    const link = await emailedLink(roster, person.email, '/invitations/accept', 2);
    const browser = newVisitor(roster.url);
    await browser.get(link);
    await browser.post('/invitations/accept', {
      token: new URL(link, 'http://x').searchParams.get('token')!,
      password: person.password,
      confirmation: person.password,
    });

    const fresh = newVisitor(roster.url);
    const chooser = await signIn(fresh, person.email, person.password);
    expect(chooser.status).toBe(200);
    expect(chooser.body).toContain('<label for="account">Account</label>');
    expect(chooser.body).toContain(accountName);
    expect(chooser.body).toContain(`Account ${otherAdmin.email}`);
    const chosen = await fresh.post('/login', {
      email: person.email,
      password: person.password,
      account: otherAdmin.accountId,
    });
    expect(chosen.location).toBe('/account');
    const account = await fresh.get('/account');
    expect(account.body).toContain('Annotator');
    expect(account.body).toContain(`Account ${otherAdmin.email}`);
  });
});
