/**
 * The invited person's journey in a real headless Chromium (Debian's package, driven by
 * playwright-core): every invite mode ends with a person who can sign in. A screenshot of each
 * final page is saved under test-output/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, screenshot } from '../support/browser.js';
import { useRoster, type Caller } from '../support/roster.js';
import { activePerson, emailedLink, invite, strongPassword } from '../self-service/people.js';

describe.skipIf(!chromiumAvailable)('the invited person in a real browser', () => {
  const roster = useRoster('sqlite');
  let admin: Caller;
  let browser: Browser;
  let accountName: string;

  beforeAll(async () => {
    admin = await roster.newAccount();
    accountName = `Account ${admin.email}`;
    // Each launch runs in a fresh temporary profile (user-data dir) that Playwright removes.
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    return context.newPage();
  }

  async function signIn(page: Page, email: string, password: string) {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('email link: open the emailed link, choose a password, land signed in', async () => {
    const person = await invite(roster, admin, 'email_link');
    const link = await emailedLink(roster, person.email, '/invitations/accept');
    const page = await newPage();
    await page.goto(roster.url + link);
    await expect(page.getByRole('heading', { name: `Join ${accountName}` }).count()).resolves.toBe(
      1,
    );
    expect(await page.getByLabel('Email').inputValue()).toBe(person.email);
    await screenshot(page, 'browser-accept-form.png');
    const password = strongPassword();
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByLabel('Confirm new password').fill('not the same');
    await page.getByRole('button', { name: 'Create my account' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('do not match');
    await screenshot(page, 'browser-accept-mismatch.png');
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByLabel('Confirm new password').fill(password);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.waitForURL('**/account?notice=welcome');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('You’re in');
    expect(await page.textContent('main')).toContain(person.email);
    // The stylesheet was allowed by the page's policy and applied.
    const background = await page.evaluate(
      "getComputedStyle(document.querySelector('main')).backgroundColor",
    );
    expect(background).toBe('rgb(255, 255, 255)');
    await screenshot(page, 'browser-email-link.png');
    await page.context().close();
  });

  it('temporary password: sign in, forced change, sign out, sign in with the new password', async () => {
    const person = await invite(roster, admin, 'temporary_password');
    const page = await newPage();
    await page.goto(`${roster.url}/login`);
    await signIn(page, person.email, person.temporaryPassword!);
    await page.waitForURL('**/password/change');
    await page.goto(`${roster.url}/account`);
    expect(new URL(page.url()).pathname).toBe('/password/change');
    await screenshot(page, 'browser-forced-change.png');

    const password = strongPassword();
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByLabel('Confirm new password').fill(password);
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.waitForURL('**/account?notice=welcome');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login?**signed_out=1');
    expect(await page.getByRole('status').textContent()).toContain('You have signed out.');
    await screenshot(page, 'browser-signed-out.png');

    await signIn(page, person.email, password);
    await page.waitForURL('**/account');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your account');
    expect(await page.textContent('main')).toContain(person.name);
    await screenshot(page, 'browser-temporary-password.png');
    await page.context().close();
  });

  it('forgot password: ask for a link, reset, sign in with the new password', async () => {
    const person = await activePerson(roster, admin);
    const page = await newPage();
    await page.goto(`${roster.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(person.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Check your email');
    await screenshot(page, 'browser-check-email.png');

    const link = await emailedLink(roster, person.email, '/password/reset');
    await page.goto(roster.url + link);
    await screenshot(page, 'browser-reset-form.png');
    const password = strongPassword();
    await page.getByLabel('New password', { exact: true }).fill(password);
    await page.getByLabel('Confirm new password').fill(password);
    await page.getByRole('button', { name: 'Save password and sign in' }).click();
    await page.waitForURL('**/account?notice=password-reset');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login?**');
    await signIn(page, person.email, 'a wrong password');
    expect(await page.getByRole('alert').textContent()).toBe(
      'The email or password is not correct.',
    );
    await screenshot(page, 'browser-wrong-password.png');
    await signIn(page, person.email, password);
    await page.waitForURL('**/account');
    expect(await page.textContent('main')).toContain(person.email);
    await screenshot(page, 'browser-password-reset.png');
    await page.context().close();
  });

  it('a used link shows a clear page saying what to do', async () => {
    const page = await newPage();
    await page.goto(`${roster.url}/invitations/accept?token=${'A'.repeat(43)}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'This invitation link is no longer valid',
    );
    await screenshot(page, 'browser-link-invalid.png');
    await page.context().close();
  });
});
