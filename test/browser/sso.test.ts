/**
 * Signing in with single sign-on in a real headless Chromium, against a real OpenID provider
 * on loopback: Roster's sign-in page, the provider's own pages, and back, signed in. Proves
 * that the pages' Content-Security-Policy lets the browser go to the provider. Roster's pages
 * pass axe-core; screenshots under test-output/.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, look } from '../support/browser.js';
import { startRoster, type Caller, type TestRoster } from '../support/roster.js';
import { startIdentityProvider, type IdentityProvider } from '../support/identity-provider.js';
import { invite } from '../self-service/people.js';

/** A free port, so that Roster's public URL (the redirect URI) is where it listens. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!chromiumAvailable)('single sign-on in a real browser', () => {
  let roster: TestRoster;
  let provider: IdentityProvider;
  let admin: Caller;
  let browser: Browser;

  beforeAll(async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    provider = await startIdentityProvider({
      clients: [
        {
          client_id: 'roster',
          client_secret: 'browser-test-secret-0001',
          redirect_uris: [`${publicUrl}/sso/callback`],
        },
      ],
    });
    roster = await startRoster('sqlite', {
      env: { PORT: String(port), ROSTER_PUBLIC_URL: publicUrl },
    });
    admin = await roster.newAccount();
    await configure(admin);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await roster?.close();
    await provider?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    return context.newPage();
  }

  async function configure(caller: Caller) {
    const configured = await roster.api(caller.key, 'PUT', '/v2/sso', {
      issuer: provider.issuer,
      client_id: 'roster',
      client_secret: 'browser-test-secret-0001',
      enforced: false,
    });
    expect(configured.status).toBe(200);
  }

  /** On the provider's own pages: sign in (the login is filled from the hint), consent. */
  async function atProvider(page: Page) {
    await page.waitForURL(`${provider.issuer}/interaction/**`);
    expect(await page.locator('input[name="login"]').inputValue()).not.toBe('');
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.waitForURL(`${provider.issuer}/interaction/**`);
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('an SSO user continues with single sign-on from /login and lands signed in', async () => {
    const person = await invite(roster, admin, 'none');
    provider.people.set(person.email, { email: person.email, email_verified: true });
    const page = await newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${roster.url}/login`);
    await page.getByLabel('Email').fill(person.email);
    await look(page, 'browser-sso-login.png');
    await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
    await atProvider(page);
    await page.waitForURL(`${roster.url}/account`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your account');
    expect(await page.textContent('main')).toContain(person.email);
    expect(blocked).toEqual([]);
    await look(page, 'browser-sso.png');
    await page.context().close();
  });

  it('a person whose email the provider does not vouch for sees why, and is not signed in', async () => {
    const person = await invite(roster, admin, 'none');
    provider.people.set(person.email, { email: person.email, email_verified: false });
    const page = await newPage();
    await page.goto(`${roster.url}/login`);
    await page.getByLabel('Email').fill(person.email);
    await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
    await atProvider(page);
    await page.waitForURL(`${roster.url}/sso/callback?**`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Your email is not verified',
    );
    await look(page, 'browser-sso-refused.png');
    await page.goto(`${roster.url}/account`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.context().close();
  });

  it('a person in two accounts with single sign-on chooses one, then signs in to it', async () => {
    const second = await roster.newAccount();
    await configure(second);
    const person = await invite(roster, admin, 'none');
    const created = await roster.api(second.key, 'POST', '/v2/users', {
      name: person.name,
      email: person.email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'none',
    });
    expect(created.status).toBe(201);
    provider.people.set(person.email, { email: person.email, email_verified: true });
    const page = await newPage();
    await page.goto(`${roster.url}/login`);
    await page.getByLabel('Email').fill(person.email);
    await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
    await page.waitForURL(`${roster.url}/sso/start`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Choose an account');
    await look(page, 'browser-sso-choose.png');
    await page.getByLabel('Account').selectOption({ label: `Account ${second.email}` });
    await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
    await atProvider(page);
    await page.waitForURL(`${roster.url}/account`);
    expect(await page.textContent('main')).toContain(`Account ${second.email}`);
    await page.context().close();
  });
});
