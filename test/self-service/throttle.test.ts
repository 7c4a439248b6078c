import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { newVisitor, tokenOf } from './visitor.js';
import { activePerson, emailedLink, signIn, strongPassword } from './people.js';

const WINDOW = 15 * 60 * 1000;

// Each test signs in from its own loopback addresses, so per-address counts do not mix.
describeEachDatabase('throttling failed sign-ins', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  const from = (address: string) => newVisitor(roster.url, address);

  async function fail(times: number, email: string, address: string) {
    for (let i = 0; i < times; i++) {
      const page = await signIn(from(address), email, `Wrong-Guess-${i}-xyz`);
      expect(page.status).toBe(401);
    }
  }

  it('after 10 failures for one email the next try gets 429, even right and from elsewhere, until the window passes', async () => {
    const person = await activePerson(roster, admin);
    await fail(10, person.email, '127.0.0.2');
    const refused = await signIn(from('127.0.0.3'), person.email, person.password);
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('Too many sign-in attempts');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW / 1000);
    expect(refused.setCookies.some((c) => c.startsWith('roster_session='))).toBe(false);

    roster.clock.advance(WINDOW + 1000);
    try {
      const later = await signIn(from('127.0.0.3'), person.email, person.password);
      expect(later.status).toBe(303);
    } finally {
      roster.clock.advance(-(WINDOW + 1000));
    }
  });

  it('a browser where the person signed in before is not locked out by failures from elsewhere', async () => {
    const person = await activePerson(roster, admin);
    await person.browser.get('/account');
    await person.browser.post('/logout', {});
    await fail(10, person.email, '127.0.0.4');
    expect((await signIn(from('127.0.0.4'), person.email, person.password)).status).toBe(429);

    const own = await signIn(person.browser, person.email, person.password);
    expect(own.status).toBe(303);

    // That browser has its own limit.
    await person.browser.get('/account');
    await person.browser.post('/logout', {});
    for (let i = 0; i < 10; i++) {
      expect((await signIn(person.browser, person.email, `Wrong-${i}-guess`)).status).toBe(401);
    }
    expect((await signIn(person.browser, person.email, person.password)).status).toBe(429);
  });

  it('one address failing for many emails is throttled after 100 failures; other addresses are not', async () => {
    const person = await activePerson(roster, admin);
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const page = await signIn(from('127.0.0.5'), uniqueEmail('guess'), 'Wrong-Guess-xyz');
          expect(page.status).toBe(401);
        }),
      );
    }
    expect((await signIn(from('127.0.0.5'), person.email, person.password)).status).toBe(429);
    expect((await signIn(from('127.0.0.6'), person.email, person.password)).status).toBe(303);
  });

  it('a password reset lifts the throttle on the email', async () => {
    const person = await activePerson(roster, admin);
    await fail(10, person.email, '127.0.0.7');
    expect((await signIn(from('127.0.0.8'), person.email, person.password)).status).toBe(429);

    const browser = from('127.0.0.8');
    await browser.get('/password/forgot');
    await browser.post('/password/forgot', { email: person.email });
    const link = await emailedLink(roster, person.email, '/password/reset');
    await browser.get(link);
    const password = strongPassword();
    const reset = await browser.post('/password/reset', {
      token: tokenOf(link),
      password,
      confirmation: password,
    });
    expect(reset.status).toBe(303);
    expect((await signIn(from('127.0.0.9'), person.email, password)).status).toBe(303);
  });
});
