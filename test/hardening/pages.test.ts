/**
 * The public pages under attack: malformed forms and links get a 4xx page (never a 500, no
 * stack or SQL), change nothing; a deletion racing an accepted invitation never leaves the
 * deleted person active; names are shown as text.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { linkPath, newVisitor, tokenOf, type Visitor } from '../self-service/visitor.js';
import { checkInvariants, countRows } from './invariants.js';

const PASSWORD = 'a long and unusual passphrase 42';

describeEachDatabase('public pages under attack', (database) => {
  const logs: string[] = [];
  const roster = useRoster(database, { logStream: (line) => logs.push(line) });
  let admin: Caller;
  let invitationPath: string;

  beforeAll(async () => {
    admin = await roster.newAccount();
    invitationPath = await invite(uniqueEmail('target'));
  });
  // The invariants hold after every scenario, whatever it did.
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  async function invite(email: string, name = 'Invited Person'): Promise<string> {
    const created = await roster.api(admin.key, 'POST', '/v2/users', {
      name,
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'email_link',
    });
    expect(created.status).toBe(201);
    const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email.toLowerCase()));
    return linkPath(mail!, '/invitations/accept');
  }

  type Attempt = (v: Visitor) => Promise<{ status: number; body: string }>;
  const long = 'A'.repeat(1024);
  const cases: Array<[string, Attempt]> = [
    ['accept link without a token', (v) => v.get('/invitations/accept')],
    ['accept link with an empty token', (v) => v.get('/invitations/accept?token=')],
    ['accept link with a 1 KB token', (v) => v.get(`/invitations/accept?token=${long}`)],
    ['accept link with %00 in the token', (v) => v.get('/invitations/accept?token=abc%00def')],
    ['accept link with the token twice', (v) => v.get(`${invitationPath}&token=other`)],
    [
      'accept link with ../ in the token',
      (v) => v.get('/invitations/accept?token=..%2F..%2Fetc%2Fpasswd'),
    ],
    [
      'accept link naming a real invitation with a forged HMAC',
      (v) =>
        v.get(
          `/invitations/accept?token=${tokenOf(invitationPath).split('.')[0]}.${'A'.repeat(43)}`,
        ),
    ],
    [
      'an invitation link opened as a password reset',
      (v) => v.get(`/password/reset?token=${tokenOf(invitationPath)}`),
    ],
    [
      'reset link with a forged token',
      (v) => v.get('/password/reset?token=forgedforgedforgedforged'),
    ],
    [
      'accept form without the CSRF token',
      (v) =>
        v.post('/invitations/accept', {
          _csrf: '',
          token: tokenOf(invitationPath),
          password: PASSWORD,
          confirmation: PASSWORD,
        }),
    ],
    [
      'accept form with a forged CSRF token',
      (v) =>
        v.post('/invitations/accept', {
          _csrf: 'forged',
          token: tokenOf(invitationPath),
          password: PASSWORD,
          confirmation: PASSWORD,
        }),
    ],
    [
      'accept form with passwords that differ',
      async (v) => (
        await v.get(invitationPath),
        v.post('/invitations/accept', {
          token: tokenOf(invitationPath),
          password: PASSWORD,
          confirmation: `${PASSWORD}!`,
        })
      ),
    ],
    [
      'accept form with a common password',
      async (v) => (
        await v.get(invitationPath),
        v.post('/invitations/accept', {
          token: tokenOf(invitationPath),
          password: 'password123',
          confirmation: 'password123',
        })
      ),
    ],
    [
      'accept form with a 257-character password',
      async (v) => (
        await v.get(invitationPath),
        v.post('/invitations/accept', {
          token: tokenOf(invitationPath),
          password: 'p'.repeat(257),
          confirmation: 'p'.repeat(257),
        })
      ),
    ],
    [
      'accept form with a forged token',
      async (v) => (
        await v.get(invitationPath),
        v.post('/invitations/accept', {
          token: 'forged',
          password: PASSWORD,
          confirmation: PASSWORD,
        })
      ),
    ],
    [
      'accept form with __proto__ fields',
      async (v) => (
        await v.get(invitationPath),
        v.post('/invitations/accept', {
          token: tokenOf(invitationPath),
          __proto__: 'x',
          'constructor[prototype][polluted]': 'yes',
          password: 'short',
          confirmation: 'short',
        } as Record<string, string>)
      ),
    ],
    [
      'accept form posted as JSON',
      (v) => v.post('/invitations/accept', {}, { 'content-type': 'application/json' }),
    ],
    [
      'accept form over the size limit',
      async (v) => (
        await v.get(invitationPath),
        v.post('/invitations/accept', {
          token: tokenOf(invitationPath),
          password: 'x'.repeat(2_000_000),
          confirmation: 'x',
        })
      ),
    ],
    [
      'sign-in with CR/LF in the email',
      async (v) => (
        await v.get('/login'),
        v.post('/login', { email: 'a@example.com\r\nBcc: x@example.com', password: PASSWORD })
      ),
    ],
    [
      'sign-in with a NUL in the password',
      async (v) => (
        await v.get('/login'),
        v.post('/login', { email: 'a@example.com', password: 'pass\u0000word' })
      ),
    ],
    [
      'sign-in without CSRF',
      (v) => v.post('/login', { _csrf: '', email: 'a@example.com', password: PASSWORD }),
    ],
    [
      'forgot-password form without CSRF',
      (v) => v.post('/password/forgot', { _csrf: '', email: 'a@example.com' }),
    ],
    ['logout without CSRF', (v) => v.post('/logout', { _csrf: '' })],
    [
      'a cross-site form post',
      async (v) => (
        await v.get('/login'),
        v.post(
          '/login',
          { email: 'a@example.com', password: PASSWORD },
          { 'sec-fetch-site': 'cross-site' },
        )
      ),
    ],
    ['the account page without a session', (v) => v.get('/account')],
    [
      'a forged session cookie',
      async (v) => (v.cookies.set('roster_session', 'forged'), v.get('/account')),
    ],
  ];

  it.each(cases)('%s', async (_name, attempt) => {
    const before = await countRows(roster.server.deps.db, admin.accountId);
    const visitor = newVisitor(roster.url);
    const page = await attempt(visitor);
    // A redirect to sign in is how pages refuse a visitor without a session.
    expect(
      page.status === 303 || (page.status >= 400 && page.status < 500),
      `status ${page.status}`,
    ).toBe(true);
    expect(page.body).not.toMatch(
      /\bat .+\.(ts|js):\d+|select |insert into|update |sqlite|node_modules/i,
    );
    expect(await countRows(roster.server.deps.db, admin.accountId)).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a deletion racing an accepted invitation never leaves the deleted person active', async () => {
    for (let round = 0; round < 6; round++) {
      const email = uniqueEmail('race');
      const path = await invite(email);
      const visitor = newVisitor(roster.url);
      await visitor.get(path);
      const userId = (
        await roster.api(admin.key, 'GET', `/v2/users?email=${encodeURIComponent(email)}`)
      ).body.users[0].id;
      const [accepted, deleted] = await Promise.all([
        visitor.post('/invitations/accept', {
          token: tokenOf(path),
          password: PASSWORD,
          confirmation: PASSWORD,
        }),
        roster.api(admin.key, 'DELETE', `/v2/users/${userId}`),
      ]);
      expect(deleted.status).toBe(204);
      expect([303, 410]).toContain(accepted.status);
      expect((await roster.api(admin.key, 'GET', `/v2/users/${userId}`)).status).toBe(404);
      const row = await roster.server.deps.db.kysely
        .selectFrom('users')
        .select('state')
        .where('email_normalized', '=', email)
        .executeTakeFirstOrThrow();
      expect(row.state).toBe('inactive');
      // Whatever session the accept may have started ended with the deletion.
      const account = await visitor.get('/account');
      expect(account.status).toBe(303);
    }
    await checkInvariants(roster.server.deps.db);
  });

  it('template and HTML syntax in a name is shown as text on the pages', async () => {
    const name = '{{7*7}} ${7*7} <script>alert(1)</script>';
    const path = await invite(uniqueEmail('inert'), name);
    const visitor = newVisitor(roster.url);
    const page = await visitor.get(path);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page.body).toContain('{{7*7}} ${7*7}');
    expect(page.body).not.toMatch(/>\s*49\s*</);
    const accepted = await visitor.post('/invitations/accept', {
      token: tokenOf(path),
      password: PASSWORD,
      confirmation: PASSWORD,
    });
    const account = await visitor.follow(accepted);
    expect(account.body).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(account.body).not.toContain('<script>alert(1)</script>');
  });

  it('the API reference (/docs) may not be framed, and its page loads only from this server', async () => {
    const origin = new URL(roster.url).origin;
    for (const path of ['/docs', '/docs/']) {
      const page = await fetch(roster.url + path);
      expect(page.status).toBe(200);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const csp = page.headers.get('content-security-policy') ?? '';
      for (const directive of [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).not.toContain('unsafe-eval');
      // What the policy allows is all the page needs: its one inline script (the renderer's
      // start-up line) by its hash and no other, and every script, stylesheet and icon from
      // this server.
      const html = await page.text();
      const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)];
      const scriptSrc = /script-src ([^;]*)/.exec(csp)![1]!.split(' ');
      expect(scriptSrc).toEqual([
        "'self'",
        ...inline.map(
          ([, body]) => `'sha256-${createHash('sha256').update(body!).digest('base64')}'`,
        ),
      ]);
      expect(inline.length).toBeLessThanOrEqual(1);
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(
        ([, source]) => new URL(source!, page.url),
      );
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        expect(asset.origin).toBe(origin);
        expect((await fetch(asset)).status, asset.pathname).toBe(200);
      }
      // The page then fetches the OpenAPI document from this server too.
      expect(html).toContain('"url": "./openapi.json"');
    }
    const document = await fetch(`${roster.url}/docs/openapi.json`);
    expect(document.status).toBe(200);
    expect(((await document.json()) as { info: { title: string } }).info.title).toBe(
      'Roster v2 Users API',
    );
  });

  it('never answered a 500', () => {
    expect(logs.join('\n')).not.toMatch(/"statusCode":5\d\d/);
  });
});
