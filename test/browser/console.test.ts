/**
 * The admin console in a real headless Chromium: an admin signs in, searches, invites in each
 * mode, edits, deletes and reads the audit log (on SQLite and PostgreSQL); on SQLite also the
 * person's other actions and the Account page. Every page passes axe-core and is saved as a
 * screenshot at 390 px and 1280 px wide under test-output/.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  chromiumAvailable,
  expectAccessible,
  launchChromium,
  screenshot,
} from '../support/browser.js';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { emailedLink, invite, strongPassword } from '../self-service/people.js';
import { tokenOf } from '../self-service/visitor.js';

const available = chromiumAvailable;

describeEachDatabase('the admin console in a real browser', (database) => {
  const roster = useRoster(database);
  let owner: Caller;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let adminEmail: string;
  let adminPassword: string;

  beforeAll(async () => {
    if (!available) return;
    owner = await roster.newAccount();
    const person = await invite(roster, owner, 'email_link', 'admin');
    const link = await emailedLink(roster, person.email, '/invitations/accept');
    adminEmail = person.email;
    adminPassword = strongPassword();
    await fetch(`${roster.url}${link}`);
    // Accept through the page, as the invited admin would.
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: roster.url });
    page = await context.newPage();
    await page.goto(`${roster.url}/invitations/accept?token=${tokenOf(link)}`);
    await page.getByLabel('New password', { exact: true }).fill(adminPassword);
    await page.getByLabel('Confirm new password').fill(adminPassword);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.waitForURL('**/account?notice=welcome');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login?**');
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Checks the page with axe-core and saves it at both widths. */
  async function look(name: string) {
    await expectAccessible(page, name);
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, `console-${database}-${name}-${width}.png`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  }

  const h1 = () => page.getByRole('heading', { level: 1 }).textContent();

  async function inviteThrough(name: string, email: string, mode: string) {
    await page.getByRole('link', { name: 'Invite', exact: true }).click();
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Role').selectOption({ label: 'Member' });
    await page.getByLabel(mode).check();
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
  }

  it.skipIf(!available)(
    'the main walk: sign in, search, invite each mode, edit, delete, audit',
    async () => {
      // Signed out, /admin leads to sign in and back.
      await page.goto(`${roster.url}/admin`);
      await page.waitForURL('**/login?next=**');
      await look('sign-in');
      await page.getByLabel('Email').fill(adminEmail);
      await page.getByLabel('Password', { exact: true }).fill(adminPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${roster.url}/admin`);
      expect(await h1()).toContain('People');
      await look('people');

      // Invite in each mode, with the keyboard only for the first.
      const linkEmail = uniqueEmail('link');
      await page.getByRole('link', { name: 'Invite', exact: true }).click();
      await look('invite');
      await page.getByLabel('Name').focus();
      await page.keyboard.type('Linda Link');
      await page.keyboard.press('Tab');
      await page.keyboard.type(linkEmail);
      await page.getByLabel('Email a link').check();
      await page.getByRole('button', { name: 'Invite', exact: true }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Linda Link is invited' }).waitFor();
      expect(await page.getByRole('status').first().textContent()).toContain('is queued');
      await look('invited-email-link');
      await roster.smtp.waitFor((m) => m.to.includes(linkEmail), 1);
      // The delivery state follows the outbox without a reload.
      await page.locator('#delivery [data-state="sent"]').waitFor();
      await look('invited-email-link-sent');

      const tempEmail = uniqueEmail('temp');
      await inviteThrough('Tomas Temp', tempEmail, 'Temporary password');
      expect(await page.getByRole('alert').textContent()).toContain('shown only this once');
      const secret = (await page.locator('#secret').textContent())!;
      expect(secret).toHaveLength(20);
      await page.getByRole('button', { name: 'Copy the password' }).click();
      await expect
        .poll(() => page.locator('#copy-status').textContent())
        .toBe('Copied to the clipboard.');
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
      await look('invited-temporary-password');

      const ssoEmail = uniqueEmail('sso');
      await inviteThrough('Sam Sso', ssoEmail, 'No invitation (single sign-on)');
      expect(await h1()).toBe('Sam Sso is a member');
      await look('invited-none');

      // The same email again: already invited, in words.
      await inviteThrough('Linda Link', linkEmail, 'Email a link');
      expect(await h1()).toBe('Linda Link was already invited');
      // An active member: refused next to the email field.
      await inviteThrough('Sam Sso', ssoEmail, 'Email a link');
      expect(await page.locator('#email-error').textContent()).toContain(
        'already a member of this account',
      );
      await look('invite-refused');

      // Search by email, and filter by status.
      await page.getByRole('link', { name: 'People' }).click();
      await page.getByLabel('Search by email').fill(tempEmail.slice(0, 12));
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL('**/admin?email=**');
      const rows = page.locator('tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().textContent()).toContain('Tomas Temp');
      await look('people-search');
      // Search as you type: the table follows the email box, no button pressed.
      await page.getByLabel('Search by email').fill('');
      await page.getByLabel('Search by email').pressSequentially(linkEmail.slice(0, 14));
      await expect.poll(() => page.locator('tbody').textContent()).toContain('Linda Link');
      expect(await page.locator('tbody tr').count()).toBe(1);
      expect(page.url()).toContain(`email=${linkEmail.slice(0, 14)}`);
      expect(await page.locator('#search-status').textContent()).toBe('The list below is updated.');
      expect(await page.evaluate('document.activeElement?.id')).toBe('email');
      await page.getByLabel('Search by email').fill('');
      await page.getByLabel('Status').selectOption('invited');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL('**/admin?*status=invited');
      expect(await page.locator('tbody').textContent()).not.toContain('Sam Sso');

      // Edit Tomas: a new name and the annotator role.
      await page.getByRole('link', { name: 'Tomas Temp' }).click();
      await look('person');
      await page.getByLabel('Name', { exact: true }).fill('Tomas Renamed');
      await page.getByLabel('Role').selectOption({ label: 'Annotator' });
      await page.getByRole('button', { name: 'Save changes' }).click();
      expect(await page.getByRole('status').first().textContent()).toBe('Changes saved.');
      expect(await h1()).toBe('Tomas Renamed');
      await page.getByLabel('Name', { exact: true }).fill('');
      await page
        .getByLabel('Name', { exact: true })
        .evaluate((el) => el.removeAttribute('required'));
      await page.getByRole('button', { name: 'Save changes' }).click();
      expect(await page.locator('#name-error').textContent()).toBeTruthy();
      await look('person-refused');

      // Delete him, confirming by name.
      await page.getByRole('link', { name: 'Delete Tomas Renamed' }).click();
      expect(await h1()).toBe('Delete Tomas Renamed?');
      await look('delete');
      await page.getByRole('button', { name: 'Delete Tomas Renamed' }).click();
      await page.waitForURL('**/admin?notice=deleted');
      expect(await page.locator('main').textContent()).not.toContain(tempEmail);

      // The audit log shows what was done, through the console.
      await page.getByRole('link', { name: 'Audit log' }).click();
      const log = (await page.locator('tbody').textContent())!;
      for (const name of ['createUser', 'updateUser', 'deleteUser', 'signIn'])
        expect(log).toContain(name);
      expect(log).toContain('POST /admin/invite');
      await look('audit');
      await page.getByLabel('Operation type').selectOption('query');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.waitForURL('**/admin/audit?*type=query');
    },
    180_000,
  );

  it.skipIf(!available || database !== 'sqlite')(
    'a person’s other actions, and the account page',
    async () => {
      const active = await invite(roster, owner, 'none', 'member');
      await page.goto(`${roster.url}/admin/users/${active.internalId}`);
      await page.getByRole('button', { name: 'Send password reset' }).click();
      // An SSO user has no password: the reason is shown in words.
      expect(await page.getByRole('alert').textContent()).toContain('has no password');

      const invited = await invite(roster, owner, 'email_link', 'member');
      await page.goto(`${roster.url}/admin/users/${invited.internalId}`);
      await page.getByRole('button', { name: 'Resend invitation' }).click();
      expect(await page.getByRole('status').first().textContent()).toContain('new invitation');
      await roster.smtp.waitFor((m) => m.to.includes(invited.email.toLowerCase()), 2);

      // The owner's API key, listed on the owner's page, revoked from there.
      const ownerId = Buffer.from(owner.userId, 'base64').toString().slice('User:'.length);
      await page.goto(`${roster.url}/admin/users/${ownerId}`);
      await look('person-keys');
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Revoke bootstrap' }).click();
      expect(await page.getByRole('status').first().textContent()).toContain('revoked');
      expect((await roster.api(owner.key, 'GET', '/v2/users')).status).toBe(401);

      await page.getByRole('link', { name: 'Account', exact: true }).click();
      await look('account');
      await page.getByLabel('Account name').fill('Acme Research');
      await page.getByRole('button', { name: 'Rename' }).click();
      expect(await page.getByRole('status').first().textContent()).toBe('The account was renamed.');
      await page.getByLabel('Issuer URL').fill('http://127.0.0.1:9/nowhere');
      await page.getByLabel('Client id').fill('roster');
      await page.getByLabel('Client secret').fill('a-secret-value');
      await page.getByRole('button', { name: 'Save single sign-on' }).click();
      expect(await page.locator('#issuer-error').textContent()).toBeTruthy();
      await look('account-sso-refused');
    },
    120_000,
  );
});
