import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';
import { cookieAttributes, newVisitor } from './visitor.js';
import {
  activePerson,
  emailedLink,
  invite,
  sessionCount,
  signIn,
  statusOf,
  strongPassword,
} from './people.js';

const HOUR = 3600 * 1000;

describeEachDatabase('sessions, CSRF and headers', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  describe('cookies', () => {
    it('the session cookie is HttpOnly, SameSite=Lax, Path=/, not Secure over http, with ≥128 random bits', async () => {
      const person = await activePerson(roster, admin);
      const browser = newVisitor(roster.url);
      const form = await browser.get('/login');
      expect(cookieAttributes(form, 'roster_csrf')).toEqual(
        expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']),
      );
      const page = await browser.post('/login', { email: person.email, password: person.password });
      const attributes = cookieAttributes(page, 'roster_session')!;
      expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']));
      expect(attributes).not.toContain('secure');
      const value = browser.cookies.get('roster_session')!;
      expect(Buffer.from(value, 'base64url').length).toBeGreaterThanOrEqual(16);
      expect(cookieAttributes(page, 'roster_device')).toEqual(
        expect.arrayContaining(['httponly', 'samesite=lax']),
      );
    });

    it('the database holds only the SHA-256 of the session cookie', async () => {
      const person = await activePerson(roster, admin);
      const value = person.browser.cookies.get('roster_session')!;
      const rows = await roster.server.deps.db.kysely
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', person.internalId)
        .execute();
      expect(rows.map((r) => r.id)).toEqual([createHash('sha256').update(value).digest('hex')]);
    });

    it('signing in rotates the session id; the old id stops working', async () => {
      const person = await activePerson(roster, admin);
      const browser = person.browser;
      const before = browser.cookies.get('roster_session')!;
      await browser.get('/account');
      const signedIn = await browser.post('/login', {
        email: person.email,
        password: person.password,
      });
      expect(signedIn.status).toBe(303);
      const after = browser.cookies.get('roster_session')!;
      expect(after).not.toBe(before);
      const stale = newVisitor(roster.url);
      stale.cookies.set('roster_session', before);
      expect((await stale.get('/account')).location).toBe('/login');
    });

    it('a session cookie planted before sign-in is not kept (no fixation)', async () => {
      const person = await activePerson(roster, admin);
      const browser = newVisitor(roster.url);
      browser.cookies.set('roster_session', 'A'.repeat(43));
      await browser.get('/login');
      await browser.post('/login', { email: person.email, password: person.password });
      expect(browser.cookies.get('roster_session')).not.toBe('A'.repeat(43));
    });
  });

  describe('ending sessions', () => {
    it('signing out ends the session, even for someone who kept the cookie', async () => {
      const person = await activePerson(roster, admin);
      const kept = person.browser.cookies.get('roster_session')!;
      await person.browser.get('/account');
      const out = await person.browser.post('/logout', {});
      expect(out.status).toBe(303);
      expect(out.location).toMatch(/^\/login\?account=[0-9A-Z]{26}&signed_out=1$/);
      const login = await person.browser.follow(out);
      expect(login.body).toContain('You have signed out.');
      const replay = newVisitor(roster.url);
      replay.cookies.set('roster_session', kept);
      expect((await replay.get('/account')).location).toBe('/login');
      expect(await sessionCount(roster, person.internalId)).toBe(0);
    });

    it('deleting the user ends their sessions at once', async () => {
      const person = await activePerson(roster, admin);
      const second = newVisitor(roster.url);
      await signIn(second, person.email, person.password);
      expect(await sessionCount(roster, person.internalId)).toBe(2);
      expect((await roster.api(admin.key, 'DELETE', `/v2/users/${person.id}`)).status).toBe(204);
      expect(await sessionCount(roster, person.internalId)).toBe(0);
      expect((await person.browser.get('/account')).location).toBe('/login');
      expect((await second.get('/account')).location).toBe('/login');
      const again = await signIn(newVisitor(roster.url), person.email, person.password);
      expect(again.status).toBe(401);
    });

    it('a session left idle for two hours ends', async () => {
      const person = await activePerson(roster, admin);
      roster.clock.advance(2 * HOUR + 1000);
      try {
        expect((await person.browser.get('/account')).location).toBe('/login');
      } finally {
        roster.clock.advance(-(2 * HOUR + 1000));
      }
    });

    it('an active session ends 24 hours after sign-in however busy it is', async () => {
      const person = await activePerson(roster, admin);
      let moved = 0;
      try {
        for (let i = 0; i < 23; i++) {
          roster.clock.advance(HOUR);
          moved += HOUR;
          expect((await person.browser.get('/account')).status).toBe(200);
        }
        roster.clock.advance(HOUR);
        moved += HOUR;
        expect((await person.browser.get('/account')).location).toBe('/login');
      } finally {
        roster.clock.advance(-moved);
      }
    });

    it('changing the password ends every other session and keeps this one (rotated)', async () => {
      const person = await activePerson(roster, admin);
      const other = newVisitor(roster.url);
      await signIn(other, person.email, person.password);
      const before = person.browser.cookies.get('roster_session');
      await person.browser.get('/password/change');
      const wrong = await person.browser.post('/password/change', {
        current: 'not-my-password',
        password: 'Fresh-Meadow-1234',
        confirmation: 'Fresh-Meadow-1234',
      });
      expect(wrong.status).toBe(422);
      const changed = await person.browser.post('/password/change', {
        current: person.password,
        password: 'Fresh-Meadow-1234',
        confirmation: 'Fresh-Meadow-1234',
      });
      expect(changed.location).toBe('/account?notice=password-changed');
      expect(person.browser.cookies.get('roster_session')).not.toBe(before);
      expect((await person.browser.get('/account')).status).toBe(200);
      expect((await other.get('/account')).location).toBe('/login');
      expect(await sessionCount(roster, person.internalId)).toBe(1);
    });
  });

  describe('CSRF', () => {
    it('a form post without the token, with a wrong one, or without the CSRF cookie is refused and changes nothing', async () => {
      const person = await activePerson(roster, admin);
      const browser = person.browser;
      await browser.get('/account');
      const noToken = await browser.post('/logout', { _csrf: '' });
      const wrongToken = await browser.post('/logout', { _csrf: 'A'.repeat(43) });
      const crossSite = await browser.post('/logout', {}, { 'sec-fetch-site': 'cross-site' });
      for (const page of [noToken, wrongToken, crossSite]) {
        expect(page.status).toBe(403);
        expect(page.body).toContain('This page has expired');
      }
      const csrfCookie = browser.cookies.get('roster_csrf')!;
      browser.cookies.delete('roster_csrf');
      expect((await browser.post('/logout', {})).status).toBe(403);
      browser.cookies.set('roster_csrf', csrfCookie);
      expect((await browser.get('/account')).status).toBe(200);

      const stranger = newVisitor(roster.url);
      await stranger.get('/login');
      const forged = await stranger.post('/login', {
        email: person.email,
        password: person.password,
        _csrf: '',
      });
      expect(forged.status).toBe(403);
    });

    it('a token taken from another browser or session does not work', async () => {
      const person = await activePerson(roster, admin);
      const attacker = newVisitor(roster.url);
      await attacker.get('/login');
      const attackerToken = attacker.csrf!;
      const page = await person.browser.post('/logout', { _csrf: attackerToken });
      expect(page.status).toBe(403);
      // Same browser cookie but the session changed: the old token is refused.
      const browser = newVisitor(roster.url);
      await browser.get('/login');
      const preSessionToken = browser.csrf!;
      await browser.post('/login', { email: person.email, password: person.password });
      expect((await browser.post('/logout', { _csrf: preSessionToken })).status).toBe(403);
      expect((await browser.get('/account')).status).toBe(200);
    });

    it('the accept form without a valid token uses nothing', async () => {
      const person = await invite(roster, admin);
      const link = await emailedLink(roster, person.email, '/invitations/accept');
      const browser = newVisitor(roster.url);
      await browser.get(link);
      const password = strongPassword();
      const token = new URL(link, 'http://x').searchParams.get('token')!;
      const refused = await browser.post('/invitations/accept', {
        token,
        password,
        confirmation: password,
        _csrf: 'forged',
      });
      expect(refused.status).toBe(403);
      expect(refused.body).toContain(`href="/invitations/accept?token=${token}"`);
      expect(await statusOf(roster, admin, person.id)).toBe('invited');
    });
  });

  describe('headers and scope', () => {
    it('pages are not cached, not framed, send no referrer and allow no scripts', async () => {
      const page = await newVisitor(roster.url).get('/login');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.headers['content-security-policy']).toContain("default-src 'none'");
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.body).not.toContain('<script');
      const css = await newVisitor(roster.url).get('/assets/roster.css');
      expect(css.status).toBe(200);
      expect(css.headers['content-type']).toMatch(/^text\/css/);
    });

    it('the /v2 API still refuses form bodies with 415', async () => {
      const response = await fetch(`${roster.url}/v2/users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${admin.key}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'name=x&email=y',
      });
      expect(response.status).toBe(415);
    });
  });
});

describeEachDatabase('cookies behind https', (database) => {
  const roster = useRoster(database, { env: { ROSTER_PUBLIC_URL: 'https://roster.test' } });
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  it('every cookie is Secure and __Host- prefixed when ROSTER_PUBLIC_URL is https', async () => {
    const person = await invite(roster, admin);
    const link = await emailedLink(roster, person.email, '/invitations/accept');
    expect(link.startsWith('/invitations/accept?token=')).toBe(true);
    const browser = newVisitor(roster.url);
    const form = await browser.get(link);
    expect(cookieAttributes(form, '__Host-roster_csrf')).toEqual(
      expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']),
    );
    const password = strongPassword();
    const accepted = await browser.post('/invitations/accept', {
      token: new URL(link, 'http://x').searchParams.get('token')!,
      password,
      confirmation: password,
    });
    expect(accepted.status).toBe(303);
    for (const name of ['__Host-roster_session', '__Host-roster_device']) {
      expect(cookieAttributes(accepted, name)).toEqual(
        expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']),
      );
    }
  });
});
