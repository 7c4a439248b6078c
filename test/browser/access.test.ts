/**
 * Getting in, in a real headless Chromium: a person signs in with a password; the first admin
 * (an SSO user, with no password) follows the one-time link bootstrap printed, sets a password,
 * signs in with it and makes an API key on /account. Every page passes axe-core; a screenshot
 * of each step is saved under test-output/.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { bootstrapAccount } from '../../src/accounts/service.js';
import { chromiumAvailable, launchChromium, look, OUTPUT } from '../support/browser.js';
import { useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { activePerson, strongPassword } from '../self-service/people.js';

describe.skipIf(!chromiumAvailable)('getting in, in a real browser', () => {
  const roster = useRoster('sqlite');
  let admin: Caller;
  let browser: Browser;

  beforeAll(async () => {
    admin = await roster.newAccount();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function newContext(options: { javaScriptEnabled?: boolean; clipboard?: boolean } = {}) {
    const { clipboard = true, ...rest } = options;
    const context = await browser.newContext({ viewport: { width: 800, height: 900 }, ...rest });
    if (clipboard) {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: roster.url });
    }
    return context;
  }

  /** Has the browser refuse the clipboard to the page that shows a new key, as a policy may. */
  async function refuseClipboard(page: Page) {
    await page.route(`${roster.url}/account/api-keys`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const headers = { ...response.headers(), 'permissions-policy': 'clipboard-write=()' };
      await route.fulfill({ response, headers });
    });
  }

  async function signIn(page: Page, email: string, password: string) {
    await page.goto(`${roster.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('password sign-in: a person lands on their account, with their API keys', async () => {
    const person = await activePerson(roster, admin);
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${roster.url}/login`);
    await look(page, 'access-login.png');
    await signIn(page, person.email, 'not the password');
    expect(await page.getByRole('alert').textContent()).toBe(
      'The email or password is not correct.',
    );
    await look(page, 'access-login-wrong.png');
    await signIn(page, person.email, person.password);
    await page.waitForURL('**/account');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your account');
    expect(await page.getByRole('heading', { name: 'API keys' }).count()).toBe(1);
    expect(await page.getByText('You have no API keys yet.').count()).toBe(1);
    await look(page, 'access-account.png');
    await context.close();
  });

  it('password set-up link from bootstrap: set a password, sign in, make an API key on /account', async () => {
    const email = uniqueEmail('first-admin');
    const made = await bootstrapAccount(roster.server.deps, {
      accountName: 'Acme Research',
      email,
      name: 'Ada Admin',
    });
    const link = new URL(made.passwordSetup.url);
    const context = await newContext();
    const page = await context.newPage();

    // Before: the admin has no password, and the sign-in page says so.
    await signIn(page, email, strongPassword());
    expect(await page.getByRole('alert').textContent()).toContain('single sign-on is not set up');

    await page.goto(roster.url + link.pathname + link.search);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'Choose a new password',
    );
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    await look(page, 'access-setup-form.png');
    const password = strongPassword();
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByLabel('Confirm new password').fill(password);
    await page.getByRole('button', { name: 'Save password and sign in' }).click();
    await page.waitForURL('**/account?notice=password-set');
    expect(await page.getByRole('status').first().textContent()).toContain('Your password is set');
    await look(page, 'access-setup-done.png');

    // The link worked once.
    await page.goto(roster.url + link.pathname + link.search);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'This password link is no longer valid',
    );
    await look(page, 'access-setup-used.png');

    // Signed out, the admin signs in with the new password and lands on /account.
    await page.goto(`${roster.url}/account`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login?**');
    await signIn(page, email, password);
    await page.waitForURL('**/account');
    expect(await page.getByRole('heading', { level: 3, name: 'bootstrap' }).count()).toBe(1);

    // Makes a key: the secret is shown once, selectable, and the copy button copies it.
    await page.getByLabel('Name', { exact: true }).fill('Nightly sync');
    await page.getByLabel('Description (optional)').fill('Copies users to the warehouse');
    await page.getByLabel('Expires').selectOption({ label: 'In 90 days' });
    await look(page, 'access-key-form.png');
    await page.getByRole('button', { name: 'Create API key' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your new API key');
    const secret = (await page.locator('#secret').textContent())!;
    expect(secret).toMatch(/^rstr_/);
    expect(
      await page.evaluate("getComputedStyle(document.getElementById('secret')).userSelect"),
    ).toBe('all');
    const copy = page.getByRole('button', { name: 'Copy the key' });
    expect(await copy.isVisible()).toBe(true);
    await copy.click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe('Copied to the clipboard.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    await look(page, 'access-key-created.png');

    // The key works on the API as the admin.
    const users = await roster.api(secret, 'GET', '/v2/users');
    expect(users.status).toBe(200);

    // Back on /account the key is listed, redacted; revoking it stops it on the API.
    await page.getByRole('link', { name: 'Back to your account' }).click();
    await page.waitForURL('**/account');
    const item = page.locator('li.key', {
      has: page.getByRole('heading', { name: 'Nightly sync' }),
    });
    expect(await item.textContent()).toContain(`rstr_...${secret.slice(-4)}`);
    expect(await page.textContent('main')).not.toContain(secret);
    await look(page, 'access-key-listed.png');
    await item.getByRole('button', { name: 'Revoke Nightly sync' }).click();
    await page.waitForURL('**/account?notice=key-revoked');
    expect(await page.getByRole('heading', { name: 'Nightly sync' }).count()).toBe(0);
    await look(page, 'access-key-revoked.png');
    expect((await roster.api(secret, 'GET', '/v2/users')).status).toBe(401);
    await context.close();
  });

  it('without JavaScript the secret is still shown as selectable text, and no dead button', async () => {
    const person = await activePerson(roster, admin);
    const context = await newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, person.email, person.password);
    await page.waitForURL('**/account');
    await page.getByLabel('Name', { exact: true }).fill('No script');
    await page.getByRole('button', { name: 'Create API key' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your new API key');
    expect(await page.locator('#secret').textContent()).toMatch(/^rstr_/);
    expect(await page.getByRole('button', { name: 'Copy the key' }).isVisible()).toBe(false);
    await page.screenshot({ path: path.join(OUTPUT, 'access-key-created-no-js.png') });
    await context.close();
  });

  it('where the browser refuses the clipboard, the copy button selects the key and says so', async () => {
    const person = await activePerson(roster, admin);
    const context = await newContext({ clipboard: false });
    const page = await context.newPage();
    await refuseClipboard(page);
    await signIn(page, person.email, person.password);
    await page.waitForURL('**/account');
    await page.getByLabel('Name', { exact: true }).fill('No clipboard');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const secret = (await page.locator('#secret').textContent())!;
    await page.getByRole('button', { name: 'Copy the key' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe('Your browser did not allow copying: the key is selected, copy it now.');
    expect(await page.evaluate('window.getSelection().toString().trim()')).toBe(secret);
    await look(page, 'access-key-copy-refused.png');
    await context.close();
  });
});
