/**
 * Single sign-on against a real OpenID Connect provider (oidc-provider on loopback), over
 * HTTP, on both databases: configuring it (/v2/sso), signing in through it, enforcing it, and
 * every way a sign-in is refused with nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase, uniqueEmail, useRoster, type Caller } from '../support/roster.js';
import {
  signingKey,
  startIdentityProvider,
  type IdentityProvider,
  type IdentityProviderOptions,
} from '../support/identity-provider.js';
import { openClientSecret } from '../../src/sso/client-secret.js';
import { decodeId } from '../../src/http/global-id.js';
import { mintKeyForUser } from '../../src/accounts/service.js';
import { alertOf, newVisitor, tokenOf, type Visitor } from '../self-service/visitor.js';
import {
  emailedLink,
  invite,
  sessionCount,
  signIn,
  statusOf,
  strongPassword,
  type Invited,
} from '../self-service/people.js';
import { atProvider, refreshTarget, signInWithSso, startSso } from './flow.js';

const REDIRECT_URI = 'http://roster.test/sso/callback';

function client(clientId: string) {
  return {
    client_id: clientId,
    client_secret: `secret-of-${clientId}-0123456789`,
    redirect_uris: [REDIRECT_URI],
  };
}

describeEachDatabase('single sign-on', (database) => {
  const logs: string[] = [];
  const roster = useRoster(database, { logStream: (line) => logs.push(line) });
  const providers: IdentityProvider[] = [];
  let provider: IdentityProvider;
  let admin: Caller;

  async function newProvider(options: Partial<IdentityProviderOptions> = {}) {
    const started = await startIdentityProvider({ clients: [client('roster')], ...options });
    providers.push(started);
    return started;
  }

  beforeAll(async () => {
    provider = await newProvider();
    admin = await roster.newAccount();
    await configure(admin, provider);
  });
  afterAll(async () => {
    await Promise.all(providers.map((p) => p.close()));
  });

  function ssoBody(idp: IdentityProvider, clientId = 'roster', enforced = false) {
    return {
      issuer: idp.issuer,
      client_id: clientId,
      client_secret: client(clientId).client_secret,
      enforced,
    };
  }

  async function configure(
    caller: Caller,
    idp: IdentityProvider,
    clientId = 'roster',
    enforced = false,
  ) {
    const response = await roster.api(
      caller.key,
      'PUT',
      '/v2/sso',
      ssoBody(idp, clientId, enforced),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body;
  }

  /** A user of the account whom the provider knows, with a verified email. */
  async function ssoPerson(
    caller: Caller,
    idp: IdentityProvider,
    mode: 'none' | 'email_link' | 'temporary_password' = 'none',
    role: 'admin' | 'member' = 'member',
  ): Promise<Invited> {
    const person = await invite(roster, caller, mode, role);
    idp.people.set(person.email, { email: person.email, email_verified: true, name: person.name });
    return person;
  }

  /** An active person with a password (an accepted invitation). */
  async function withPassword(caller: Caller, role: 'admin' | 'member') {
    const person = await invite(roster, caller, 'email_link', role);
    const link = await emailedLink(roster, person.email, '/invitations/accept');
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const password = strongPassword();
    const accepted = await browser.post('/invitations/accept', {
      token: tokenOf(link),
      password,
      confirmation: password,
    });
    expect(accepted.status).toBe(303);
    return { ...person, password };
  }

  /** The callback a provider sends back, after Roster sent this browser to it. */
  async function callbackFor(
    browser: Visitor,
    email: string,
    idp: IdentityProvider,
    login = email,
  ) {
    const started = await startSso(browser, email);
    expect(started.status, started.body).toBe(200);
    return atProvider(idp, refreshTarget(started)!, login);
  }

  /** The log line Roster wrote about the last refusal. */
  function lastRefusalLog(): { reason: string; detail: string } {
    const line = logs.filter((l) => l.includes('single sign-on refused')).pop();
    expect(line).toBeDefined();
    return JSON.parse(line!) as { reason: string; detail: string };
  }

  async function expectNothingChanged(caller: Caller, person: Invited, status: string) {
    expect(await sessionCount(roster, person.internalId)).toBe(0);
    expect(await statusOf(roster, caller, person.id)).toBe(status);
  }

  // -------------------------------------------------------------------------------------

  describe('configuring it (/v2/sso, admins only)', () => {
    it('GET is 404 while the account has none', async () => {
      const other = await roster.newAccount();
      const response = await roster.api(other.key, 'GET', '/v2/sso');
      expect(response.status).toBe(404);
      expect(response.body.detail).toMatch(/no single sign-on provider/);
    });

    it('PUT discovers the provider; the secret is never returned and is stored sealed', async () => {
      const other = await roster.newAccount();
      const body = await configure(other, provider, 'roster', true);
      expect(body).toMatchObject({
        issuer: provider.issuer,
        client_id: 'roster',
        client_secret_last4: '6789',
        enforced: true,
        redirect_uri: REDIRECT_URI,
        scopes: 'openid email profile',
      });
      expect(JSON.stringify(body)).not.toContain(client('roster').client_secret);
      const shown = await roster.api(other.key, 'GET', '/v2/sso');
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual(body);

      const row = await roster.server.deps.db.kysely
        .selectFrom('sso_providers')
        .selectAll()
        .where('account_id', '=', other.accountId)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(client('roster').client_secret);
      expect(
        openClientSecret(
          roster.server.deps.serverSecret,
          other.accountId,
          row.client_secret_sealed,
        ),
      ).toBe(client('roster').client_secret);
      // Sealed for this account only: it does not open for another.
      expect(
        openClientSecret(
          roster.server.deps.serverSecret,
          admin.accountId,
          row.client_secret_sealed,
        ),
      ).toBeUndefined();
    });

    it('members and annotators get 403 for GET, PUT and DELETE, and nothing changes', async () => {
      for (const role of ['member', 'annotator'] as const) {
        const caller = await roster.newCaller(admin, role);
        expect((await roster.api(caller.key, 'GET', '/v2/sso')).status).toBe(403);
        const put = await roster.api(caller.key, 'PUT', '/v2/sso', ssoBody(provider, 'x'));
        expect(put.status).toBe(403);
        expect(put.body.detail).toMatch(/SSO_MANAGE/);
        expect((await roster.api(caller.key, 'DELETE', '/v2/sso')).status).toBe(403);
      }
      const shown = await roster.api(admin.key, 'GET', '/v2/sso');
      expect(shown.body.client_id).toBe('roster');
    });

    it('a custom role, even with every user permission, does not manage single sign-on', async () => {
      const role = await roster.api(admin.key, 'POST', '/v2/roles', {
        name: `User manager ${uniqueEmail()}`,
        permissions: ['user_read', 'user_create', 'user_update', 'user_delete'],
      });
      expect(role.status).toBe(201);
      const email = uniqueEmail('custom');
      const created = await roster.api(admin.key, 'POST', '/v2/users', {
        name: 'Custom Holder',
        email,
        role: { type: 'custom', id: role.body.id },
        invite_mode: 'none',
      });
      expect(created.status).toBe(201);
      const { apiKey } = await mintKeyForUser(roster.server.deps, {
        email,
        accountId: admin.accountId,
      });
      expect((await roster.api(apiKey, 'GET', '/v2/sso')).status).toBe(403);
      expect((await roster.api(apiKey, 'DELETE', '/v2/sso')).status).toBe(403);
      expect((await roster.api(admin.key, 'GET', '/v2/sso')).status).toBe(200);
    });

    it('a bad body is a 400 naming the field', async () => {
      const other = await roster.newAccount();
      const cases: Array<[unknown, string]> = [
        [{ ...ssoBody(provider), issuer: 'not a url' }, 'issuer'],
        [{ ...ssoBody(provider), issuer: 'ftp://idp.example.com' }, 'issuer'],
        [{ ...ssoBody(provider), issuer: `${provider.issuer}?x=1` }, 'issuer'],
        [{ ...ssoBody(provider), client_id: '' }, 'client_id'],
        [{ ...ssoBody(provider), client_id: 'a b' }, 'client_id'],
        [{ ...ssoBody(provider), enforced: 'true' }, 'enforced'],
        [{ issuer: provider.issuer, client_id: 'roster', enforced: false }, 'client_secret'],
        [{ ...ssoBody(provider), extra: 1 }, 'extra'],
      ];
      for (const [body, field] of cases) {
        const response = await roster.api(other.key, 'PUT', '/v2/sso', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.detail, JSON.stringify(body)).toContain(field);
      }
      expect((await roster.api(other.key, 'GET', '/v2/sso')).status).toBe(404);
    });

    it('an issuer that cannot be discovered is a 422 saying why, and nothing is stored', async () => {
      const other = await roster.newAccount();
      const unreachable = await roster.api(other.key, 'PUT', '/v2/sso', {
        ...ssoBody(provider),
        issuer: 'http://127.0.0.1:9',
      });
      expect(unreachable.status).toBe(422);
      expect(unreachable.body.detail).toMatch(
        /Discovery of the issuer http:\/\/127\.0\.0\.1:9 failed/,
      );
      const wrongPath = await roster.api(other.key, 'PUT', '/v2/sso', {
        ...ssoBody(provider),
        issuer: `${provider.issuer}/tenant`,
      });
      expect(wrongPath.status).toBe(422);
      expect(wrongPath.body.detail).toMatch(/\.well-known\/openid-configuration/);
      expect((await roster.api(other.key, 'GET', '/v2/sso')).status).toBe(404);
    });

    it('DELETE removes it (204, again 204); sign-in through it then stops', async () => {
      const other = await roster.newAccount();
      const idp = await newProvider();
      await configure(other, idp);
      const person = await ssoPerson(other, idp);
      const browser = newVisitor(roster.url);
      const started = await startSso(browser, person.email);
      expect(started.status).toBe(200);
      expect((await roster.api(other.key, 'DELETE', '/v2/sso')).status).toBe(204);
      expect((await roster.api(other.key, 'DELETE', '/v2/sso')).status).toBe(204);
      expect((await roster.api(other.key, 'GET', '/v2/sso')).status).toBe(404);
      // The sign-in under way is refused, and a new one finds no provider.
      const callback = await atProvider(idp, refreshTarget(started)!, person.email);
      expect((await browser.get(callback)).status).toBe(400);
      expect((await startSso(newVisitor(roster.url), person.email)).status).toBe(422);
      await expectNothingChanged(other, person, 'active');
    });

    it("an SSO user's reset-password answer points at the account's single sign-on", async () => {
      const person = await invite(roster, admin, 'none');
      const response = await roster.api(admin.key, 'POST', `/v2/users/${person.id}/reset-password`);
      expect(response.status).toBe(400);
      expect(response.body.detail).toContain(`single sign-on (${provider.issuer})`);
      const other = await roster.newAccount();
      const without = await invite(roster, other, 'none');
      const plain = await roster.api(other.key, 'POST', `/v2/users/${without.id}/reset-password`);
      expect(plain.body.detail).toMatch(/no single sign-on set up/);
    });
  });

  // -------------------------------------------------------------------------------------

  describe('signing in through it', () => {
    it('the sign-in page offers "Continue with single sign-on" in the same form', async () => {
      const page = await newVisitor(roster.url).get('/login');
      expect(page.body).toMatch(
        /<button type="submit" class="secondary" formaction="\/sso\/start" formnovalidate>\s*Continue with single sign-on/,
      );
    });

    it('an SSO user (invite_mode none) signs in and gets the same session as a password sign-in', async () => {
      const person = await ssoPerson(admin, provider);
      const { browser, page } = await signInWithSso(
        roster,
        provider,
        person.email.toUpperCase(),
        person.email,
      );
      expect(page.status, page.body).toBe(303);
      expect(page.location).toBe('/account');
      expect(page.setCookies.find((c) => c.startsWith('roster_session='))).toMatch(/HttpOnly/i);
      const account = await browser.get('/account');
      expect(account.status).toBe(200);
      expect(account.body).toContain(person.email);
      expect(await sessionCount(roster, person.internalId)).toBe(1);
      // Signing out works as for any session.
      const out = await browser.post('/logout', {});
      expect(out.status).toBe(303);
      expect(await sessionCount(roster, person.internalId)).toBe(0);
    });

    it('the provider is sent the code flow with PKCE S256, state, nonce, the redirect URI and the scopes', async () => {
      const person = await ssoPerson(admin, provider);
      const started = await startSso(newVisitor(roster.url), person.email);
      const url = new URL(refreshTarget(started)!);
      expect(url.origin).toBe(provider.issuer);
      const params = url.searchParams;
      expect(params.get('response_type')).toBe('code');
      expect(params.get('client_id')).toBe('roster');
      expect(params.get('redirect_uri')).toBe(REDIRECT_URI);
      expect(params.get('scope')).toBe('openid email profile');
      expect(params.get('code_challenge_method')).toBe('S256');
      expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.get('login_hint')).toBe(person.email);
      // The state goes with this browser only: an HttpOnly cookie.
      expect(started.setCookies.find((c) => c.startsWith('roster_sso='))).toMatch(/HttpOnly/i);
    });

    it('an email_link invitee who signs in through it finishes the invitation; the link then dies', async () => {
      const person = await ssoPerson(admin, provider, 'email_link');
      const link = await emailedLink(roster, person.email, '/invitations/accept');
      expect(await statusOf(roster, admin, person.id)).toBe('invited');
      const { page } = await signInWithSso(roster, provider, person.email);
      expect(page.status, page.body).toBe(303);
      expect(page.location).toBe('/account?notice=welcome');
      expect(await statusOf(roster, admin, person.id)).toBe('active');
      expect((await newVisitor(roster.url).get(link)).status).toBe(410);
    });

    it('a temporary-password invitee who signs in through it is active; the temporary password dies', async () => {
      const person = await ssoPerson(admin, provider, 'temporary_password');
      const { page } = await signInWithSso(roster, provider, person.email);
      expect(page.location).toBe('/account?notice=welcome');
      expect(await statusOf(roster, admin, person.id)).toBe('active');
      const withTemporary = await signIn(
        newVisitor(roster.url),
        person.email,
        person.temporaryPassword!,
      );
      expect(withTemporary.status).toBe(401);
    });

    it('a person with a password and single sign-on may use either while it is not enforced', async () => {
      const person = await withPassword(admin, 'member');
      provider.people.set(person.email, { email: person.email, email_verified: true });
      expect((await signIn(newVisitor(roster.url), person.email, person.password)).status).toBe(
        303,
      );
      expect((await signInWithSso(roster, provider, person.email)).page.location).toBe('/account');
    });

    it('a person who is a user of several accounts with single sign-on chooses one', async () => {
      const second = await roster.newAccount();
      const idp = await newProvider();
      await configure(second, idp);
      const person = await ssoPerson(admin, provider);
      const created = await roster.api(second.key, 'POST', '/v2/users', {
        name: person.name,
        email: person.email,
        role: { type: 'predefined', name: 'member' },
        invite_mode: 'none',
      });
      expect(created.status).toBe(201);
      idp.people.set(person.email, { email: person.email, email_verified: true });

      const browser = newVisitor(roster.url);
      const choose = await startSso(browser, person.email);
      expect(choose.status).toBe(200);
      expect(choose.body).toContain('Choose an account');
      expect(choose.body).toContain(`value="${admin.accountId}"`);
      expect(choose.body).toContain(`value="${second.accountId}"`);
      const chosen = await browser.post('/sso/start', {
        email: person.email,
        account: second.accountId,
      });
      const target = refreshTarget(chosen)!;
      expect(new URL(target).origin).toBe(idp.issuer);
      const page = await browser.get(await atProvider(idp, target, person.email));
      expect(page.location).toBe('/account');
      const account = await browser.get('/account');
      expect(account.body).toContain(`Account ${second.email}`);
    });

    it('a provider that returns the email claims from UserInfo only (OIDC Core 5.4) works too', async () => {
      const other = await roster.newAccount();
      const idp = await newProvider({ emailInIdToken: false });
      await configure(other, idp);
      const person = await ssoPerson(other, idp);
      expect((await signInWithSso(roster, idp, person.email)).page.location).toBe('/account');
    });
  });

  // -------------------------------------------------------------------------------------

  describe('the audit log', () => {
    const entries = async (caller: Caller) => {
      const page = await roster.api(caller.key, 'GET', '/v2/audit-logs?limit=100');
      expect(page.status).toBe(200);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return page.body.logs as any[];
    };

    it('setting and removing the provider are entries, the secret in neither', async () => {
      const owner = await roster.newAccount();
      await configure(owner, provider);
      await configure(owner, provider, 'roster', true);
      expect((await roster.api(owner.key, 'DELETE', '/v2/sso')).status).toBe(204);
      expect((await roster.api(owner.key, 'DELETE', '/v2/sso')).status).toBe(204);
      const [removed, enforced, set] = await entries(owner);
      expect(removed).toMatchObject({
        operation_name: 'deleteSso',
        operation_text: 'DELETE /v2/sso',
      });
      expect(enforced).toMatchObject({ operation_name: 'setSso', user_id: owner.userId });
      expect(enforced.changes).toMatchObject({
        before: { issuer: provider.issuer, enforced: false },
        after: { issuer: provider.issuer, enforced: true },
      });
      expect(set.changes.before).toEqual({});
      const secret = client('roster').client_secret;
      expect(JSON.stringify(await entries(owner))).not.toContain(secret);
      expect(JSON.parse(set.variables).client_secret).toBe('[redacted]');
    });

    it('a sign-in through the provider is an entry of the person, and finishes an invitation', async () => {
      const person = await ssoPerson(admin, provider, 'email_link');
      const { page } = await signInWithSso(roster, provider, person.email, person.email);
      expect(page.status, page.body).toBe(303);
      const [entry] = await entries(admin);
      expect(entry).toMatchObject({
        user_id: person.id,
        operation_name: 'signInWithSso',
        operation_text: 'GET /sso/callback',
        ip: '127.0.0.1',
        target: { type: 'User', id: person.id },
        changes: { before: { status: 'invited' }, after: { status: 'active' } },
      });
    });
  });

  describe('refused with a clear page, nothing changed', () => {
    it('an email no account with single sign-on has: the sign-in page again, 422', async () => {
      for (const email of [uniqueEmail('nobody'), '', 'not an email']) {
        const page = await startSso(newVisitor(roster.url), email);
        expect(page.status).toBe(422);
        expect(alertOf(page)).toMatch(/No account signs in this email with single sign-on/);
        expect(page.setCookies.some((c) => c.startsWith('roster_sso='))).toBe(false);
      }
      const other = await roster.newAccount();
      const withoutSso = await invite(roster, other, 'none');
      expect((await startSso(newVisitor(roster.url), withoutSso.email)).status).toBe(422);
    });

    it('the provider vouches for an email that is no user of the account: 403, no user is made', async () => {
      const person = await ssoPerson(admin, provider);
      const stranger = uniqueEmail('stranger');
      provider.people.set(stranger, { email: stranger, email_verified: true });
      const browser = newVisitor(roster.url);
      const page = await browser.get(await callbackFor(browser, person.email, provider, stranger));
      expect(page.status).toBe(403);
      expect(page.body).toContain('You are not a member of this account');
      expect(lastRefusalLog().reason).toBe('no-user');
      const listed = await roster.api(
        admin.key,
        'GET',
        `/v2/users?email=${encodeURIComponent(stranger)}`,
      );
      expect(listed.body.users).toEqual([]);
      await expectNothingChanged(admin, person, 'active');
    });

    it('a user deleted while at the provider: 403', async () => {
      const person = await ssoPerson(admin, provider);
      const browser = newVisitor(roster.url);
      const callback = await callbackFor(browser, person.email, provider);
      expect((await roster.api(admin.key, 'DELETE', `/v2/users/${person.id}`)).status).toBe(204);
      const page = await browser.get(callback);
      expect(page.status).toBe(403);
      expect(lastRefusalLog()).toMatchObject({ reason: 'no-user', detail: 'the user was deleted' });
      expect(await sessionCount(roster, person.internalId)).toBe(0);
      expect((await roster.api(admin.key, 'GET', `/v2/users/${person.id}`)).status).toBe(404);
    });

    it('email_verified false or missing: 403, and an invitee stays invited', async () => {
      for (const claims of [{ email_verified: false }, {}, { email_verified: 'true' }]) {
        const person = await ssoPerson(admin, provider, 'email_link');
        provider.people.set(person.email, { email: person.email, ...claims });
        const browser = newVisitor(roster.url);
        const page = await browser.get(await callbackFor(browser, person.email, provider));
        expect(page.status, JSON.stringify(claims)).toBe(403);
        expect(page.body).toContain('Your email is not verified');
        expect(lastRefusalLog().reason).toBe('email-unverified');
        await expectNothingChanged(admin, person, 'invited');
      }
    });

    it('an ID token for another audience: 401', async () => {
      const other = await roster.newAccount();
      const idp = await newProvider({
        clients: [client('roster'), client('someone-else')],
        registeredAs: { roster: 'someone-else' },
      });
      await configure(other, idp);
      const person = await ssoPerson(other, idp);
      const browser = newVisitor(roster.url);
      const page = await browser.get(await callbackFor(browser, person.email, idp));
      expect(page.status).toBe(401);
      expect(page.body).toContain('Your sign-in could not be verified');
      expect(lastRefusalLog()).toMatchObject({ reason: 'not-verified' });
      expect(lastRefusalLog().detail).toMatch(/"aud"/);
      await expectNothingChanged(other, person, 'active');
    });

    it('an ID token whose signature is not from a key of the issuer: 401', async () => {
      const other = await roster.newAccount();
      const idp = await newProvider({ publishedKey: signingKey() });
      await configure(other, idp);
      const person = await ssoPerson(other, idp);
      const browser = newVisitor(roster.url);
      const page = await browser.get(await callbackFor(browser, person.email, idp));
      expect(page.status).toBe(401);
      expect(lastRefusalLog().detail).toMatch(/signature/i);
      await expectNothingChanged(other, person, 'active');
    });

    it('an expired ID token: 401', async () => {
      const other = await roster.newAccount();
      const idp = await newProvider({ idTokenTtlSeconds: 20 });
      await configure(other, idp);
      const person = await ssoPerson(other, idp);
      const browser = newVisitor(roster.url);
      const callback = await callbackFor(browser, person.email, idp);
      // Roster's clock is past the token's expiry (and its 30 s tolerance), within the 10
      // minutes a sign-in may take.
      roster.clock.advance(2 * 60 * 1000);
      const page = await browser.get(callback);
      expect(page.status).toBe(401);
      expect(lastRefusalLog().detail).toMatch(/"exp"/);
      await expectNothingChanged(other, person, 'active');
    });

    it('a replayed callback (state used once), or one from another browser: 400', async () => {
      const person = await ssoPerson(admin, provider);
      const browser = newVisitor(roster.url);
      const callback = await callbackFor(browser, person.email, provider);
      const state = new URL(callback, 'http://x').searchParams.get('state')!;

      const elsewhere = await newVisitor(roster.url).get(callback);
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body).toContain('This sign-in has expired');

      expect((await browser.get(callback)).status).toBe(303);
      await browser.get('/account');
      expect((await browser.post('/logout', {})).status).toBe(303);
      browser.cookies.set('roster_sso', state);
      const replayed = await browser.get(callback);
      expect(replayed.status).toBe(400);
      expect(lastRefusalLog().detail).toMatch(/used already/);
      expect(await sessionCount(roster, person.internalId)).toBe(0);
    });

    it('an ID token carrying the nonce of an earlier sign-in: 401', async () => {
      const person = await ssoPerson(admin, provider);
      const first = newVisitor(roster.url);
      const firstStart = await startSso(first, person.email);
      const firstNonce = new URL(refreshTarget(firstStart)!).searchParams.get('nonce')!;
      await first.get(await atProvider(provider, refreshTarget(firstStart)!, person.email));
      expect(await sessionCount(roster, person.internalId)).toBe(1);

      // A second sign-in, whose request to the provider carries the first one's nonce.
      const browser = newVisitor(roster.url);
      const started = await startSso(browser, person.email);
      const tampered = new URL(refreshTarget(started)!);
      tampered.searchParams.set('nonce', firstNonce);
      const page = await browser.get(await atProvider(provider, tampered.href, person.email));
      expect(page.status).toBe(401);
      expect(lastRefusalLog().detail).toMatch(/"nonce"/);
      expect(await sessionCount(roster, person.internalId)).toBe(1);
    });

    it("a callback carrying another account's provider's answer: 401", async () => {
      const second = await roster.newAccount();
      const idp = await newProvider({ clients: [client('roster-b')] });
      await configure(second, idp, 'roster-b');
      const person = await ssoPerson(admin, provider);
      const intruder = await ssoPerson(second, idp);
      // This browser set off for the first account's provider...
      const browser = newVisitor(roster.url);
      const ours = new URL(await callbackFor(browser, person.email, provider), 'http://x');
      // ...and comes back with what the second account's provider answered someone else.
      const theirs = new URL(
        await callbackFor(newVisitor(roster.url), intruder.email, idp),
        'http://x',
      );
      theirs.searchParams.set('state', ours.searchParams.get('state')!);
      const page = await browser.get(theirs.pathname + theirs.search);
      expect(page.status).toBe(401);
      expect(lastRefusalLog().reason).toBe('not-verified');
      await expectNothingChanged(admin, person, 'active');
      await expectNothingChanged(second, intruder, 'active');
    });

    it('the person cancels at the provider: 401', async () => {
      const person = await ssoPerson(admin, provider);
      const browser = newVisitor(roster.url);
      const started = await startSso(browser, person.email);
      const state = new URL(refreshTarget(started)!).searchParams.get('state')!;
      const page = await browser.get(
        `/sso/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(provider.issuer)}`,
      );
      expect(page.status).toBe(401);
      expect(page.body).toContain('did not sign you in');
      await expectNothingChanged(admin, person, 'active');

      // A callback with a live state but no code at all is refused too.
      const again = newVisitor(roster.url);
      const next = await startSso(again, person.email);
      const nextState = new URL(refreshTarget(next)!).searchParams.get('state')!;
      const bare = await again.get(
        `/sso/callback?state=${nextState}&iss=${encodeURIComponent(provider.issuer)}`,
      );
      expect(bare.status).toBe(401);
      await expectNothingChanged(admin, person, 'active');
    });
  });

  // -------------------------------------------------------------------------------------

  describe('enforced', () => {
    it("refuses password sign-in to the account's users, except an admin's (break-glass, logged at warn)", async () => {
      const other = await roster.newAccount();
      const member = await withPassword(other, 'member');
      const otherAdmin = await withPassword(other, 'admin');
      await configure(other, provider, 'roster', true);

      const sessions = await sessionCount(roster, member.internalId);
      const refused = await signIn(newVisitor(roster.url), member.email, member.password);
      expect(refused.status).toBe(401);
      expect(alertOf(refused)).toMatch(/signs in with single sign-on/);
      expect(await sessionCount(roster, member.internalId)).toBe(sessions);

      const breakGlass = await signIn(
        newVisitor(roster.url),
        otherAdmin.email,
        otherAdmin.password,
      );
      expect(breakGlass.status).toBe(303);
      const warned = logs
        .filter((l) => l.includes('break-glass'))
        .map((l) => JSON.parse(l) as { level: number; user_id: string; account_id: string });
      expect(warned).toContainEqual(
        expect.objectContaining({
          level: 40,
          user_id: otherAdmin.internalId,
          account_id: other.accountId,
        }),
      );

      // The member signs in with single sign-on, and a password reset changes nothing of this.
      provider.people.set(member.email, { email: member.email, email_verified: true });
      expect((await signInWithSso(roster, provider, member.email)).page.location).toBe('/account');

      // Not enforced any more: the password works again.
      await configure(other, provider, 'roster', false);
      expect((await signIn(newVisitor(roster.url), member.email, member.password)).status).toBe(
        303,
      );
      expect(decodeId('User', member.id)).toBe(member.internalId);
    });
  });
});
