/**
 * The audit log through the pages: accepting an invitation, signing in and failing to, a forced
 * and a chosen password change (and a wrong current password), a forgotten-password request and
 * its reset, signing out. Each writes one entry saying what the form posted, its secrets
 * redacted; no password is ever in an entry.
 */
import { beforeAll, expect, it } from 'vitest';
import { REDACTED } from '../../src/audit/rules.js';
import { passwordLinkFor } from '../../src/accounts/password-link.js';
import { checkInvariants } from '../hardening/invariants.js';
import { eventually } from '../support/wait.js';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';
import { newVisitor, tokenOf } from '../self-service/visitor.js';
import {
  activePerson,
  emailedLink,
  invite,
  signIn,
  strongPassword,
} from '../self-service/people.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = any;

describeEachDatabase('audit log through the pages', (database) => {
  const roster = useRoster(database);
  let admin: Caller;
  const passwords: string[] = [];

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  async function entries(): Promise<Entry[]> {
    const page = await roster.api(admin.key, 'GET', '/v2/audit-logs?limit=100');
    expect(page.status).toBe(200);
    return page.body.logs;
  }

  /** The entries `change` added, oldest first. */
  async function added(change: () => Promise<unknown>): Promise<Entry[]> {
    const before = new Set((await entries()).map((e) => e.id));
    await change();
    return (await entries()).filter((e) => !before.has(e.id)).reverse();
  }

  it('accepting an invitation: the person acted, from their address, the token and passwords redacted', async () => {
    const person = await invite(roster, admin);
    const link = await emailedLink(roster, person.email, '/invitations/accept');
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const password = strongPassword();
    passwords.push(password);
    const written = await added(async () => {
      const page = await browser.post('/invitations/accept', {
        token: tokenOf(link),
        password,
        confirmation: password,
      });
      expect(page.status).toBe(303);
    });
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      user_id: person.id,
      ip: '127.0.0.1',
      operation_type: 'mutation',
      operation_name: 'acceptInvitation',
      operation_text: 'POST /invitations/accept',
      api_key_id: null,
      target: { type: 'User', id: person.id },
    });
    expect(JSON.parse(written[0].variables)).toEqual({
      token: REDACTED,
      password: REDACTED,
      confirmation: REDACTED,
    });
    expect(JSON.stringify(written)).not.toContain(tokenOf(link));
  });

  it('signing in, failing to, changing the password (and failing to), signing out', async () => {
    const person = await activePerson(roster, admin);
    passwords.push(person.password);
    const failed = await added(async () => {
      expect(
        (await signIn(newVisitor(roster.url), person.email, 'Not-The-Password-9')).status,
      ).toBe(401);
    });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      user_id: null,
      operation_name: 'signInFailed',
      operation_text: 'POST /login',
      target: { type: 'User', id: person.id },
    });
    expect(JSON.parse(failed[0].variables)).toMatchObject({
      email: person.email,
      password: REDACTED,
    });

    const browser = newVisitor(roster.url);
    const signedIn = await added(async () => {
      expect((await signIn(browser, person.email, person.password)).status).toBe(303);
    });
    expect(signedIn.map((e) => [e.operation_name, e.user_id])).toEqual([['signIn', person.id]]);

    const wrongCurrent = await added(async () => {
      await browser.get('/password/change');
      const page = await browser.post('/password/change', {
        current: 'Not-The-Password-9',
        password: strongPassword(),
        confirmation: strongPassword(),
      });
      expect(page.status).toBe(422);
    });
    expect(wrongCurrent.map((e) => e.operation_name)).toEqual(['changePasswordFailed']);

    const next = strongPassword();
    passwords.push(next);
    const changed = await added(async () => {
      const page = await browser.post('/password/change', {
        current: person.password,
        password: next,
        confirmation: next,
      });
      expect(page.status).toBe(303);
    });
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      operation_name: 'changePassword',
      operation_text: 'POST /password/change',
      user_id: person.id,
    });
    expect(JSON.parse(changed[0].variables)).toEqual({
      current: REDACTED,
      password: REDACTED,
      confirmation: REDACTED,
    });

    const out = await added(async () => {
      await browser.get('/account');
      expect((await browser.post('/logout', {})).status).toBe(303);
    });
    expect(out.map((e) => [e.operation_name, e.operation_text, e.user_id])).toEqual([
      ['signOut', 'POST /logout', person.id],
    ]);
  });

  it('a temporary-password sign-in and the forced change', async () => {
    const person = await invite(roster, admin, 'temporary_password');
    passwords.push(person.temporaryPassword!);
    const browser = newVisitor(roster.url);
    const next = strongPassword();
    passwords.push(next);
    const written = await added(async () => {
      expect((await signIn(browser, person.email, person.temporaryPassword!)).status).toBe(303);
      await browser.get('/password/change');
      const page = await browser.post('/password/change', { password: next, confirmation: next });
      expect(page.status).toBe(303);
    });
    expect(written.map((e) => [e.operation_name, e.user_id])).toEqual([
      ['signIn', person.id],
      ['changeTemporaryPassword', person.id],
    ]);
  });

  it('a forgotten-password request (no user acted) and the reset (the person did)', async () => {
    const person = await activePerson(roster, admin);
    const before = new Set((await entries()).map((e) => e.id));
    const browser = newVisitor(roster.url);
    await browser.get(`/password/forgot?account=${admin.accountId}`);
    await browser.post('/password/forgot', { email: person.email, account: admin.accountId });
    const requested = await eventually(async () => {
      const found = (await entries()).filter((e) => !before.has(e.id));
      return found.length > 0 ? found : undefined;
    }, 'the reset request entry');
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({
      user_id: null,
      operation_name: 'requestPasswordReset',
      operation_text: 'POST /password/forgot',
      target: { type: 'User', id: person.id },
    });
    expect(JSON.parse(requested[0].variables)).toEqual({
      email: person.email,
      account: admin.accountId,
    });

    const link = await emailedLink(roster, person.email, '/password/reset');
    await browser.get(link);
    const next = strongPassword();
    passwords.push(next);
    const reset = await added(async () => {
      const page = await browser.post('/password/reset', {
        token: tokenOf(link),
        password: next,
        confirmation: next,
      });
      expect(page.status).toBe(303);
    });
    expect(reset.map((e) => [e.operation_name, e.operation_text, e.user_id])).toEqual([
      ['completePasswordReset', 'POST /password/reset', person.id],
    ]);
  });

  it('a password set-up link: made on the command line, used on its page', async () => {
    const person = await activePerson(roster, admin);
    passwords.push(person.password);
    let link = '';
    const made = await added(async () => {
      link = (await passwordLinkFor(roster.server.deps, { email: person.email })).url;
    });
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      user_id: null,
      ip: null,
      operation_name: 'createPasswordSetupLink',
      operation_text: 'cli users password-link',
      target: { type: 'User', id: person.id },
    });
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const password = strongPassword();
    passwords.push(password);
    const used = await added(async () => {
      const done = await browser.post('/password/setup', {
        token: tokenOf(link),
        password,
        confirmation: password,
      });
      expect(done.status).toBe(303);
    });
    expect(used).toHaveLength(1);
    expect(used[0]).toMatchObject({
      user_id: person.id,
      ip: '127.0.0.1',
      operation_name: 'completePasswordSetup',
      operation_text: 'POST /password/setup',
      target: { type: 'User', id: person.id },
    });
    expect(JSON.parse(used[0].variables)).toEqual({
      token: REDACTED,
      password: REDACTED,
      confirmation: REDACTED,
    });
  });

  it('API keys made, refreshed and revoked on /account: the person acted, through the page', async () => {
    const person = await activePerson(roster, admin);
    passwords.push(person.password);
    await person.browser.get('/account');
    let keyId = '';
    let newKeyId = '';
    const written = await added(async () => {
      const created = await person.browser.post('/account/api-keys', {
        name: 'laptop',
        description: '',
        expires: '',
      });
      expect(created.status).toBe(200);
      keyId = /name="id" value="([^"]+)"/.exec((await person.browser.get('/account')).body)![1]!;
      const refreshed = await person.browser.post('/account/api-keys/refresh', { id: keyId });
      expect(refreshed.status).toBe(200);
      // The refreshed key is a new one, which the page lists instead.
      const listed = await person.browser.get('/account');
      newKeyId = /name="id" value="([^"]+)"/.exec(listed.body)![1]!;
      const revoked = await person.browser.post('/account/api-keys/revoke', { id: newKeyId });
      expect(revoked.status).toBe(303);
    });
    expect(written.map((e) => [e.operation_name, e.operation_text])).toEqual([
      ['createApiKey', 'POST /account/api-keys'],
      ['refreshApiKey', 'POST /account/api-keys/refresh'],
      ['revokeApiKey', 'POST /account/api-keys/revoke'],
    ]);
    for (const entry of written) {
      expect(entry).toMatchObject({ user_id: person.id, ip: '127.0.0.1', api_key_id: null });
    }
    expect(written.map((e) => e.target.id)).toEqual([keyId, keyId, newKeyId]);
    expect(JSON.parse(written[0].variables)).toEqual({
      name: 'laptop',
      description: '',
      expires: '',
    });
  });

  it('an unknown email fails with no entry in any account', async () => {
    const written = await added(async () => {
      const page = await signIn(newVisitor(roster.url), 'nobody-here@example.com', 'Whatever-1x');
      expect(page.status).toBe(401);
    });
    expect(written).toEqual([]);
  });

  it('no password or token is in any entry, and the chain is intact', async () => {
    await checkInvariants(roster.server.deps.db, { secrets: passwords, now: roster.clock.now() });
  });
});
