/**
 * One-time links to set a password: the first admin's (bootstrap) and the recovery link for any
 * active user (roster users password-link), used through the real pages on both databases.
 */
import { beforeAll, expect, it } from 'vitest';
import { bootstrapAccount } from '../../src/accounts/service.js';
import { passwordLinkFor } from '../../src/accounts/password-link.js';
import { Conflict, NotFound } from '../../src/errors.js';
import { encodeId } from '../../src/http/global-id.js';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { alertOf, newVisitor, tokenOf } from './visitor.js';
import { activePerson, invite, sessionCount, signIn, strongPassword } from './people.js';

const HOUR = 3600 * 1000;

/** The path and query of a link on ROSTER_PUBLIC_URL (http://roster.test in the tests). */
function pathOf(url: string): string {
  const parsed = new URL(url);
  expect(parsed.origin).toBe('http://roster.test');
  return parsed.pathname + parsed.search;
}

describeEachDatabase('password set-up links', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  async function newAdmin() {
    const email = uniqueEmail('first-admin');
    const made = await bootstrapAccount(roster.server.deps, {
      accountName: `Account ${email}`,
      email,
      name: 'Ada Admin',
    });
    return {
      email,
      key: made.apiKey,
      id: encodeId('User', made.userId),
      internalId: made.userId,
      accountId: made.accountId,
      link: pathOf(made.passwordSetup.url),
      expiresAt: made.passwordSetup.expiresAt,
    };
  }

  async function setPassword(link: string, password = strongPassword()) {
    const browser = newVisitor(roster.url);
    const page = await browser.get(link);
    expect(page.status).toBe(200);
    const done = await browser.post('/password/setup', {
      token: tokenOf(link),
      password,
      confirmation: password,
    });
    return { browser, done, password };
  }

  it("the first admin's link sets a password: the admin, SSO-only before, signs in to a page", async () => {
    const first = await newAdmin();
    expect(first.link).toMatch(/^\/password\/setup\?token=[\w-]+\.[\w-]+$/);
    expect(first.expiresAt - Date.now()).toBeGreaterThan(24 * HOUR - 60_000);
    expect(first.expiresAt - Date.now()).toBeLessThanOrEqual(24 * HOUR);

    // Before: no password, and no single sign-on set up for the account: the sign-in page says so.
    const before = await signIn(newVisitor(roster.url), first.email, strongPassword());
    expect(before.status).toBe(401);
    expect(alertOf(before)).toMatch(/single sign-on is not set up/);
    expect(
      (await roster.api(first.key, 'POST', `/v2/users/${first.id}/reset-password`)).status,
    ).toBe(400);

    const browser = newVisitor(roster.url);
    // Opening the link (twice: mail scanners, reloads) uses nothing.
    for (let i = 0; i < 2; i++) {
      const page = await browser.get(first.link);
      expect(page.status).toBe(200);
      expect(page.body).toContain(first.email);
      expect(page.body).toContain('action="/password/setup"');
      expect(page.body).toContain('<label for="password">New password</label>');
      expect(page.headers['cache-control']).toBe('no-store');
    }
    const mismatch = await browser.post('/password/setup', {
      token: tokenOf(first.link),
      password: strongPassword(),
      confirmation: strongPassword(),
    });
    expect(mismatch.status).toBe(422);
    expect(alertOf(mismatch)).toContain('do not match');
    const weak = await browser.post('/password/setup', {
      token: tokenOf(first.link),
      password: 'password',
      confirmation: 'password',
    });
    expect(weak.status).toBe(422);

    const password = strongPassword();
    const done = await browser.post('/password/setup', {
      token: tokenOf(first.link),
      password,
      confirmation: password,
    });
    expect(done.status).toBe(303);
    expect(done.location).toBe('/account?notice=password-set');
    const account = await browser.follow(done);
    expect(account.body).toContain('Your password is set');
    expect(account.body).toContain(first.email);

    // After: the admin signs in with the password, keeps its API key, and now has a password
    // the reset-password rule accepts.
    const signedIn = await signIn(newVisitor(roster.url), first.email, password);
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/account');
    expect((await roster.api(first.key, 'GET', `/v2/users/${first.id}`)).body.status).toBe(
      'active',
    );
    expect(
      (await roster.api(first.key, 'POST', `/v2/users/${first.id}/reset-password`)).status,
    ).toBe(204);

    // The link worked once.
    expect((await newVisitor(roster.url).get(first.link)).status).toBe(410);
    const again = await browser.post('/password/setup', {
      token: tokenOf(first.link),
      password: strongPassword(),
      confirmation: 'x',
    });
    expect(again.status).toBe(410);
    expect(again.body).toContain('This password link is no longer valid');
  });

  it('an SSO-only user who sets a password through a link then has both', async () => {
    const sso = await invite(roster, admin, 'none');
    const link = await passwordLinkFor(roster.server.deps, {
      email: sso.email.toUpperCase(),
      accountId: encodeId('Account', admin.accountId),
    });
    expect(link.userId).toBe(sso.internalId);
    const { done, password } = await setPassword(pathOf(link.url));
    expect(done.status).toBe(303);
    const row = await roster.server.deps.db.kysely
      .selectFrom('users')
      .select(['state', 'password_hash'])
      .where('id', '=', sso.internalId)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('active');
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect((await signIn(newVisitor(roster.url), sso.email, password)).status).toBe(303);
  });

  it('a recovery link for a user with a password replaces it, and ends every other session', async () => {
    const person = await activePerson(roster, admin);
    const link = await passwordLinkFor(roster.server.deps, { email: person.email });
    const { browser, done, password } = await setPassword(pathOf(link.url));
    expect(done.status).toBe(303);
    expect((await person.browser.get('/account')).location).toBe('/login');
    expect((await browser.get('/account')).status).toBe(200);
    expect(await sessionCount(roster, person.internalId)).toBe(1);
    expect((await signIn(newVisitor(roster.url), person.email, person.password)).status).toBe(401);
    expect((await signIn(newVisitor(roster.url), person.email, password)).status).toBe(303);
  });

  it('a new link revokes the previous unused one', async () => {
    const first = await newAdmin();
    const second = await passwordLinkFor(roster.server.deps, { email: first.email });
    const gone = await newVisitor(roster.url).get(first.link);
    expect(gone.status).toBe(410);
    expect(gone.body).toContain('This password link is no longer valid');
    expect((await setPassword(pathOf(second.url))).done.status).toBe(303);
  });

  it('a link lasts 24 hours', async () => {
    const first = await newAdmin();
    roster.clock.advance(24 * HOUR - 60_000);
    try {
      expect((await newVisitor(roster.url).get(first.link)).status).toBe(200);
      roster.clock.advance(60_000 + 1000);
      expect((await newVisitor(roster.url).get(first.link)).status).toBe(410);
    } finally {
      roster.clock.advance(-(24 * HOUR + 1000));
    }
  });

  it('a deleted user’s link, an altered link and an unknown one get the 410 page', async () => {
    const person = await activePerson(roster, admin);
    const link = pathOf((await passwordLinkFor(roster.server.deps, { email: person.email })).url);
    const altered = link.slice(0, -2) + (link.endsWith('AA') ? 'BB' : 'AA');
    await roster.api(admin.key, 'DELETE', `/v2/users/${person.id}`);
    for (const path of [
      link,
      altered,
      `/password/setup?token=${'Z'.repeat(43)}`,
      '/password/setup',
    ]) {
      const page = await newVisitor(roster.url).get(path);
      expect(page.status).toBe(410);
      expect(page.body).toContain('This password link is no longer valid');
    }
    const post = newVisitor(roster.url);
    await post.get('/login');
    const refused = await post.post('/password/setup', {
      token: tokenOf(link),
      password: 'Quiet-Lantern-0000',
      confirmation: 'Quiet-Lantern-0000',
    });
    expect(refused.status).toBe(410);
  });

  it('a set-up form without its CSRF token is refused and the link still works', async () => {
    const first = await newAdmin();
    const browser = newVisitor(roster.url);
    await browser.get(first.link);
    const password = strongPassword();
    const forged = await browser.post('/password/setup', {
      _csrf: 'forged',
      token: tokenOf(first.link),
      password,
      confirmation: password,
    });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('Nothing was changed');
    const crossSite = await browser.post(
      '/password/setup',
      { token: tokenOf(first.link), password, confirmation: password },
      { 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    expect((await setPassword(first.link)).done.status).toBe(303);
  });

  it('no link for an unknown, deleted or unregistered user, nor an ambiguous email', async () => {
    const deps = roster.server.deps;
    await expect(passwordLinkFor(deps, { email: uniqueEmail('nobody') })).rejects.toThrow(NotFound);
    const deleted = await activePerson(roster, admin);
    await roster.api(admin.key, 'DELETE', `/v2/users/${deleted.id}`);
    await expect(passwordLinkFor(deps, { email: deleted.email })).rejects.toThrow(/was deleted/);
    const pending = await invite(roster, admin, 'email_link');
    await expect(passwordLinkFor(deps, { email: pending.email })).rejects.toThrow(Conflict);
    await expect(passwordLinkFor(deps, { email: pending.email })).rejects.toThrow(
      /not finished registration/,
    );
  });
});
