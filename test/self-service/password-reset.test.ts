import { beforeAll, expect, it, vi } from 'vitest';
import type * as Service from '../../src/self-service/service.js';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { noEmailPending } from '../support/outbox.js';
import { alertOf, newVisitor, tokenOf, type Visitor } from './visitor.js';
import {
  activePerson,
  emailedLink,
  invite,
  sessionCount,
  signIn,
  strongPassword,
} from './people.js';

const MINUTE = 60 * 1000;

/**
 * `/password/forgot` answers before it does its work (so the response time says nothing about
 * the address) and then looks the address up, and queues an email or not, in the background.
 * That work writes nothing when it sends nothing: to know it is done, each run of it is kept
 * here, the use case itself unchanged.
 */
const resetRequests = vi.hoisted(() => new Set<Promise<void>>());
vi.mock('../../src/self-service/service.js', async (importOriginal) => {
  const service = await importOriginal<typeof Service>();
  return {
    ...service,
    requestPasswordReset(...args: Parameters<typeof service.requestPasswordReset>) {
      const work = service.requestPasswordReset(...args);
      resetRequests.add(work);
      return work;
    },
  };
});

describeEachDatabase('forgotten passwords', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  async function forgot(browser: Visitor, email: string) {
    await browser.get('/password/forgot');
    return browser.post('/password/forgot', { email });
  }

  const resetMails = (email: string) =>
    roster.smtp.to(email).filter((m) => m.subject.startsWith('Reset'));

  /**
   * Once the work of every forgot request so far is done, and what it queued for `emails` is
   * sent: the reset email that arrived by then is all that will arrive for them.
   */
  async function forgotSettled(emails: string[]) {
    if (resetRequests.size === 0) throw new Error('requestPasswordReset is not wrapped');
    await Promise.allSettled(resetRequests);
    for (const email of emails) await noEmailPending(roster.server.deps, email);
  }

  it('the forgot form answers the same page whatever the address is, and emails only an active user with a password', async () => {
    const active = await activePerson(roster, admin);
    const sso = await invite(roster, admin, 'none');
    const pending = await invite(roster, admin);
    const deleted = await activePerson(roster, admin);
    await roster.api(admin.key, 'DELETE', `/v2/users/${deleted.id}`);
    const unknown = uniqueEmail('nobody');

    const pages = new Map<string, string>();
    for (const email of [active.email, sso.email, pending.email, deleted.email, unknown]) {
      const page = await forgot(newVisitor(roster.url), email);
      expect(page.status).toBe(200);
      pages.set(email, page.body.replaceAll(email, 'EMAIL'));
    }
    expect(new Set(pages.values()).size).toBe(1);
    expect([...pages.values()][0]).toContain('Check your email');

    await emailedLink(roster, active.email, '/password/reset');
    await forgotSettled([active.email, sso.email, pending.email, deleted.email, unknown]);
    expect(resetMails(active.email)).toHaveLength(1);
    for (const email of [sso.email, pending.email, deleted.email, unknown]) {
      expect(resetMails(email)).toHaveLength(0);
    }
  });

  it('the reset link signs the person in with the new password, ends other sessions, and the old password stops working', async () => {
    const person = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), person.email);
    const link = await emailedLink(roster, person.email, '/password/reset');
    const browser = newVisitor(roster.url);
    for (let i = 0; i < 2; i++) {
      const page = await browser.get(link);
      expect(page.status).toBe(200);
      expect(page.body).toContain(person.email);
      expect(page.body).toContain('<label for="password">New password</label>');
    }
    const password = strongPassword();
    const reset = await browser.post('/password/reset', {
      token: tokenOf(link),
      password,
      confirmation: password,
    });
    expect(reset.status).toBe(303);
    expect(reset.location).toBe('/account?notice=password-reset');
    const account = await browser.follow(reset);
    expect(account.body).toContain(person.name);
    expect((await person.browser.get('/account')).location).toBe('/login');
    expect(await sessionCount(roster, person.internalId)).toBe(1);
    expect((await signIn(newVisitor(roster.url), person.email, person.password)).status).toBe(401);
    expect((await signIn(newVisitor(roster.url), person.email, password)).status).toBe(303);
  });

  it('a reset link works once; used, unknown, expired, replaced and deleted-user links all get one page', async () => {
    const invalidPages: string[] = [];
    const check = async (path: string) => {
      const page = await newVisitor(roster.url).get(path);
      expect(page.status).toBe(410);
      expect(page.body).toContain('This reset link is no longer valid');
      invalidPages.push(page.body);
    };

    const used = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), used.email);
    const usedLink = await emailedLink(roster, used.email, '/password/reset');
    const browser = newVisitor(roster.url);
    await browser.get(usedLink);
    const password = strongPassword();
    const token = tokenOf(usedLink);
    expect(
      (await browser.post('/password/reset', { token, password, confirmation: password })).status,
    ).toBe(303);
    await check(usedLink);
    await browser.get('/account');
    const second = await browser.post('/password/reset', {
      token,
      password: strongPassword(),
      confirmation: 'different',
    });
    expect(second.status).toBe(410);

    await check(`/password/reset?token=${'Z'.repeat(43)}`);

    const expired = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), expired.email);
    const expiredLink = await emailedLink(roster, expired.email, '/password/reset');
    roster.clock.advance(29 * MINUTE);
    try {
      expect((await newVisitor(roster.url).get(expiredLink)).status).toBe(200);
      roster.clock.advance(MINUTE + 1000);
      await check(expiredLink);
    } finally {
      roster.clock.advance(-(30 * MINUTE + 1000));
    }

    const replaced = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), replaced.email);
    const firstLink = await emailedLink(roster, replaced.email, '/password/reset');
    roster.clock.advance(2 * MINUTE);
    try {
      expect(
        (await roster.api(admin.key, 'POST', `/v2/users/${replaced.id}/reset-password`)).status,
      ).toBe(204);
      const secondLink = await emailedLink(roster, replaced.email, '/password/reset', 2);
      expect(secondLink).not.toBe(firstLink);
      await check(firstLink);
      expect((await newVisitor(roster.url).get(secondLink)).status).toBe(200);
    } finally {
      roster.clock.advance(-2 * MINUTE);
    }

    const deleted = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), deleted.email);
    const deletedLink = await emailedLink(roster, deleted.email, '/password/reset');
    await roster.api(admin.key, 'DELETE', `/v2/users/${deleted.id}`);
    await check(deletedLink);

    expect(new Set(invalidPages).size).toBe(1);
  });

  it('16 concurrent submissions of one reset link: exactly one succeeds', async () => {
    const person = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), person.email);
    const link = await emailedLink(roster, person.email, '/password/reset');
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => {
        const attempt = newVisitor(roster.url);
        for (const [k, v] of browser.cookies) attempt.cookies.set(k, v);
        const password = `${strongPassword()}-${i}`;
        return attempt.post('/password/reset', {
          _csrf: browser.csrf!,
          token: tokenOf(link),
          password,
          confirmation: password,
        });
      }),
    );
    expect(results.filter((r) => r.status === 303)).toHaveLength(1);
    expect(results.filter((r) => r.status === 410)).toHaveLength(15);
  });

  it('a refused new password keeps the link usable', async () => {
    const person = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), person.email);
    const link = await emailedLink(roster, person.email, '/password/reset');
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const refused = await browser.post('/password/reset', {
      token: tokenOf(link),
      password: 'qwertyuiop',
      confirmation: 'qwertyuiop',
    });
    expect(refused.status).toBe(422);
    expect(alertOf(refused)).toMatch(/most common/);
    const password = strongPassword();
    const reset = await browser.post('/password/reset', {
      token: tokenOf(link),
      password,
      confirmation: password,
    });
    expect(reset.status).toBe(303);
  });

  it('changing the password while signed in kills a pending reset link', async () => {
    const person = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), person.email);
    const link = await emailedLink(roster, person.email, '/password/reset');
    await person.browser.get('/password/change');
    const changed = await person.browser.post('/password/change', {
      current: person.password,
      password: 'Another-Quiet-Field-9',
      confirmation: 'Another-Quiet-Field-9',
    });
    expect(changed.status).toBe(303);
    expect((await newVisitor(roster.url).get(link)).status).toBe(410);
  });

  it('asking again within a minute sends no second email', async () => {
    const person = await activePerson(roster, admin);
    await forgot(newVisitor(roster.url), person.email);
    await emailedLink(roster, person.email, '/password/reset');
    await forgot(newVisitor(roster.url), person.email);
    await forgotSettled([person.email]);
    expect(resetMails(person.email)).toHaveLength(1);
    roster.clock.advance(MINUTE + 1000);
    try {
      await forgot(newVisitor(roster.url), person.email);
      await emailedLink(roster, person.email, '/password/reset', 2);
    } finally {
      roster.clock.advance(-(MINUTE + 1000));
    }
  });
});
