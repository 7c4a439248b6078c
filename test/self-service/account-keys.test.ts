/**
 * A signed-in developer's own API keys on /account: listed, created, refreshed and revoked
 * through the pages, by the same rules as /v2/api-keys, on both databases.
 */
import { beforeAll, expect, it } from 'vitest';
import { mintKeyForUser } from '../../src/accounts/service.js';
import { MAX_WORKING_KEYS } from '../../src/api-keys/service.js';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';
import { alertOf, newVisitor, type Page, type Visitor } from './visitor.js';
import { activePerson, signIn } from './people.js';

const DAY = 24 * 3600 * 1000;

/** The secret a key page shows, if any. */
function secretOf(page: Page): string | undefined {
  return /<code class="secret" id="secret">(rstr_[\w-]+)<\/code>/.exec(page.body)?.[1];
}

/** The id the page's forms carry for the key named `name`. */
function keyIdOn(page: Page, name: string): string {
  const item = page.body
    .split('<li class="key">')
    .find((part) => part.includes(`<h3>${name}</h3>`));
  const id = item && /name="id" value="([^"]+)"/.exec(item)?.[1];
  if (!id) throw new Error(`no key named ${name} on the page`);
  return id;
}

describeEachDatabase('API keys on /account', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  /** A developer (member) with a password, signed in; and the API key of theirs the CLI made. */
  async function developer() {
    const person = await activePerson(roster, admin);
    const minted = await mintKeyForUser(roster.server.deps, {
      email: person.email,
      name: 'from the cli',
    });
    return { ...person, key: minted.apiKey };
  }

  async function createKey(browser: Visitor, fields: Record<string, string>) {
    await browser.get('/account');
    return browser.post('/account/api-keys', { name: '', description: '', expires: '', ...fields });
  }

  const keysOf = async (key: string) => {
    const listed = await roster.api(key, 'GET', '/v2/api-keys');
    expect(listed.status).toBe(200);
    return listed.body.api_keys as Array<Record<string, string>>;
  };

  const countKeys = (userId: string) =>
    roster.server.deps.db.kysely
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow()
      .then((row) => Number(row.n));

  it('a developer sees their keys (name, redacted key, created, last used, expiry), never a secret', async () => {
    const person = await developer();
    await roster.api(person.key, 'GET', '/v2/api-keys');
    const page = await person.browser.get('/account');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h2 id="keys-heading">API keys</h2>');
    expect(page.body).toContain('<h3>from the cli</h3>');
    const [listed] = await keysOf(person.key);
    expect(page.body).toContain(`<code>${listed!.redacted_key}</code>`);
    expect(page.body).toContain(`<time datetime="${listed!.created_at}">`);
    expect(page.body).toMatch(/<dt>Last used<\/dt>\s*<dd>(<time|Never)/);
    expect(page.body).toMatch(/<dt>Expires<\/dt>\s*<dd>Never<\/dd>/);
    expect(page.body).not.toContain(person.key);
    expect(page.body).toContain('action="/account/api-keys"');
  });

  it('creates a key: the secret is shown once, not cached, and works on the API with the form’s values', async () => {
    const person = await developer();
    const created = await createKey(person.browser, {
      name: '  nightly sync ',
      description: 'runs at 2am',
      expires: '30',
    });
    expect(created.status).toBe(200);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.headers['content-security-policy']).toContain("script-src 'self'");
    expect(created.body).toContain('shown only this once');
    const secret = secretOf(created)!;
    expect(secret).toMatch(/^rstr_/);

    const mine = (await keysOf(secret)).find((key) => key.name === 'nightly sync');
    expect(mine).toMatchObject({ description: 'runs at 2am', status: 'active', key_type: 'user' });
    expect(Date.parse(mine!.expires_at!) - Date.now()).toBeGreaterThan(30 * DAY - 60_000);
    expect(Date.parse(mine!.expires_at!) - Date.now()).toBeLessThanOrEqual(30 * DAY);
    expect(secret.endsWith(mine!.redacted_key!.slice(-4))).toBe(true);

    const account = await person.browser.get('/account');
    expect(account.body).toContain('<h3>nightly sync</h3>');
    expect(account.body).toContain('runs at 2am');
    expect(account.body).not.toContain(secret);
    expect(account.headers['content-security-policy']).not.toContain('script-src');
  });

  it('the copy button’s script is served from this site', async () => {
    const script = await fetch(`${roster.url}/assets/copy-key.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('navigator.clipboard.writeText');
  });

  it('a form without a valid CSRF token changes nothing: create, refresh and revoke', async () => {
    const person = await developer();
    const before = await countKeys(person.internalId);
    const page = await person.browser.get('/account');
    const id = keyIdOn(page, 'from the cli');
    const other = newVisitor(roster.url);
    await other.get('/login');
    const attempts = [
      person.browser.post('/account/api-keys', { name: 'forged', _csrf: 'nope' }),
      person.browser.post('/account/api-keys', { name: 'forged', _csrf: other.csrf! }),
      person.browser.post('/account/api-keys/refresh', { id, _csrf: '' }),
      person.browser.post('/account/api-keys/revoke', { id, _csrf: 'nope' }),
      person.browser.post('/account/api-keys/revoke', { id }, { 'sec-fetch-site': 'cross-site' }),
    ];
    for (const refused of await Promise.all(attempts)) {
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('Nothing was changed');
      expect(refused.body).toContain('href="/account"');
    }
    expect(await countKeys(person.internalId)).toBe(before);
    expect((await roster.api(person.key, 'GET', '/v2/api-keys')).status).toBe(200);
  });

  it('a non-developer is told why they cannot have keys, and cannot make one', async () => {
    const person = await activePerson(roster, admin);
    await roster.api(admin.key, 'PATCH', `/v2/users/${person.id}`, { is_developer: false });
    const page = await person.browser.get('/account');
    expect(page.status).toBe(200);
    expect(page.body).toContain('You cannot have API keys');
    expect(page.body).toContain('not a developer');
    expect(page.body).not.toContain('action="/account/api-keys"');
    const refused = await person.browser.post('/account/api-keys', { name: 'sneaky', expires: '' });
    expect(refused.status).toBe(403);
    expect(alertOf(refused)).toContain('may not use the API');
    expect(await countKeys(person.internalId)).toBe(0);
  });

  it("another user's key is refused: no refresh, no revoke, and it keeps working", async () => {
    const owner = await developer();
    const ownerPage = await owner.browser.get('/account');
    const id = keyIdOn(ownerPage, 'from the cli');
    const intruder = await developer();
    await intruder.browser.get('/account');
    for (const action of ['refresh', 'revoke']) {
      const refused = await intruder.browser.post(`/account/api-keys/${action}`, { id });
      expect(refused.status).toBe(404);
      expect(alertOf(refused)).toBe('No API key with this id that you may manage');
      expect(secretOf(refused)).toBeUndefined();
    }
    expect((await roster.api(owner.key, 'GET', '/v2/api-keys')).status).toBe(200);
    for (const id of ['', 'not-an-id', Buffer.from('User:x').toString('base64')]) {
      expect((await owner.browser.post('/account/api-keys/revoke', { id })).status).toBe(404);
    }
  });

  it('revoking a key stops it on the API at once and removes it from the list', async () => {
    const person = await developer();
    const created = await createKey(person.browser, { name: 'short lived' });
    const secret = secretOf(created)!;
    expect((await roster.api(secret, 'GET', '/v2/api-keys')).status).toBe(200);
    const page = await person.browser.get('/account');
    const revoked = await person.browser.post('/account/api-keys/revoke', {
      id: keyIdOn(page, 'short lived'),
    });
    expect(revoked.status).toBe(303);
    expect(revoked.location).toBe('/account?notice=key-revoked');
    const after = await person.browser.follow(revoked);
    expect(alertOf(after)).toBe('The API key was revoked: it no longer works.');
    expect(after.body).not.toContain('<h3>short lived</h3>');
    expect((await roster.api(secret, 'GET', '/v2/api-keys')).status).toBe(401);
    // Revoking it again changes nothing, as on the API.
    const twice = await person.browser.post('/account/api-keys/revoke', {
      id: keyIdOn(page, 'short lived'),
    });
    expect(twice.status).toBe(303);
    expect((await roster.api(person.key, 'GET', '/v2/api-keys')).status).toBe(200);
  });

  it('refreshing a key shows its new secret once; the old one stops working', async () => {
    const person = await developer();
    const page = await person.browser.get('/account');
    const refreshed = await person.browser.post('/account/api-keys/refresh', {
      id: keyIdOn(page, 'from the cli'),
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
    expect(refreshed.body).toContain('the old one no longer works');
    const secret = secretOf(refreshed)!;
    expect(secret).not.toBe(person.key);
    expect((await roster.api(person.key, 'GET', '/v2/api-keys')).status).toBe(401);
    const listed = await keysOf(secret);
    expect(listed.map((key) => key.name)).toEqual(['from the cli']);
  });

  it('bad input is a 4xx page that says what is wrong, and makes no key', async () => {
    const person = await developer();
    const before = await countKeys(person.internalId);
    const cases: Array<[Record<string, string>, number, RegExp]> = [
      [{ name: '   ' }, 400, /name/],
      [{ name: 'x'.repeat(256) }, 400, /name.*255/],
      [{ name: 'ok', description: 'd'.repeat(1001) }, 400, /description.*1000/],
      [{ name: 'bad\u0007bell' }, 400, /name/],
      [{ name: 'ok', expires: 'forever' }, 400, /expires from the list/],
      [{ name: 'ok', expires: '-1' }, 400, /expires from the list/],
    ];
    for (const [fields, status, detail] of cases) {
      const page = await createKey(person.browser, fields);
      expect(page.status, JSON.stringify(fields)).toBe(status);
      expect(alertOf(page)).toMatch(detail);
      // The form comes back with what was typed.
      expect(page.body).toContain('aria-invalid="true"');
    }
    const nul = await createKey(person.browser, { name: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect(await countKeys(person.internalId)).toBe(before);
  });

  it('a person over the API’s limit of working keys is refused with the same words', async () => {
    const person = await developer();
    for (let i = 1; i < MAX_WORKING_KEYS; i++) {
      await mintKeyForUser(roster.server.deps, { email: person.email, name: `k${i}` });
    }
    const refused = await createKey(person.browser, { name: 'one too many' });
    expect(refused.status).toBe(409);
    expect(alertOf(refused)).toContain(`at most ${MAX_WORKING_KEYS} active API keys`);
    expect(await countKeys(person.internalId)).toBe(MAX_WORKING_KEYS);
  });

  it('a signed-out browser is sent to sign in, and a person who signs in lands on their keys', async () => {
    const stranger = newVisitor(roster.url);
    expect((await stranger.get('/account')).location).toBe('/login');
    await stranger.get('/login');
    const post = await stranger.post('/account/api-keys', { name: 'x', expires: '' });
    expect(post.status).toBe(303);
    expect(post.location).toBe('/login');

    const person = await developer();
    const browser = newVisitor(roster.url);
    const signedIn = await signIn(browser, person.email, person.password);
    expect(signedIn.location).toBe('/account');
    expect((await browser.follow(signedIn)).body).toContain('<h2 id="keys-heading">API keys</h2>');
    expect((await browser.get('/')).location).toBe('/account');
    const change = await browser.get('/password/change');
    expect(change.body).toContain('href="/account"');
  });
});
