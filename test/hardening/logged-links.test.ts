/**
 * No usable link in the log: without SMTP the log says which .eml file a message went to and
 * for whom, never the link; and a link token in the query string is redacted however its name
 * is spelled (percent-encoded, any case).
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import {
  describeEachDatabase,
  startRoster,
  uniqueEmail,
  type Caller,
  type TestRoster,
} from '../support/roster.js';
import { emlFiles, readEml } from '../support/eml.js';
import { newVisitor } from '../self-service/visitor.js';
import { signIn } from '../self-service/people.js';
import { checkInvariants } from './invariants.js';

const PASSWORD = 'a long and unusual passphrase 42';

describeEachDatabase('links and the log', (database) => {
  let roster: TestRoster;
  let admin: Caller;
  const lines: string[] = [];
  const log = () => lines.join('\n');

  beforeAll(async () => {
    roster = await startRoster(database, {
      env: { ROSTER_SMTP_URL: '' },
      logStream: (line) => void lines.push(line),
    });
    admin = await roster.newAccount();
  });
  afterAll(() => roster.close());

  /** The link of the newest message to `email` in the .eml files, waiting for it. */
  async function mailedLink(email: string, route: string): Promise<string> {
    const directory = path.join(roster.dataDir, 'mail');
    for (let waited = 0; waited < 10_000; waited += 50) {
      const raw = emlFiles(directory).map(readEml);
      const messages = await Promise.all(raw.map((m) => simpleParser(m)));
      const link = messages
        .filter((m) => m.to && !Array.isArray(m.to) && m.to.text === email)
        .map((m) => new RegExp(`http://roster\\.test${route}\\?token=\\S+`).exec(m.text ?? ''))
        .filter((match) => match !== null)
        .at(-1)?.[0];
      if (link) return link;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no ${route} message for ${email}`);
  }

  it('without SMTP the log names the .eml file and the recipient, never the link', async () => {
    const email = uniqueEmail('filed');
    const created = await roster.api(admin.key, 'POST', '/v2/users', {
      name: 'Filed Person',
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'email_link',
    });
    expect(created.status).toBe(201);
    const invitation = await mailedLink(email, '/invitations/accept');

    // Accept it, then ask for a reset: a second kind of link.
    const browser = newVisitor(roster.url);
    const token = new URL(invitation).searchParams.get('token')!;
    await browser.get(`/invitations/accept?token=${token}`);
    const accepted = await browser.post('/invitations/accept', {
      token,
      password: PASSWORD,
      confirmation: PASSWORD,
    });
    expect(accepted.status).toBe(303);
    const reader = newVisitor(roster.url);
    await reader.get('/password/forgot');
    await reader.post('/password/forgot', { email });
    const reset = await mailedLink(email, '/password/reset');

    const files = emlFiles(path.join(roster.dataDir, 'mail')).filter((file) =>
      path.basename(file).includes(email),
    );
    expect(files).toHaveLength(2);
    const filed = lines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.recipient === email);
    expect(filed.map((entry) => entry.template).sort()).toEqual(['invitation', 'password_reset']);
    expect(filed.map((entry) => entry.file).sort()).toEqual(files);
    for (const entry of filed) {
      expect(entry.msg).toContain(email);
      expect(entry.msg).toContain(entry.file);
    }
    for (const link of [invitation, reset]) {
      const secret = new URL(link).searchParams.get('token')!;
      expect(log()).not.toContain(secret);
      expect(log()).not.toContain(encodeURIComponent(secret));
    }
    expect(log()).not.toMatch(/\?token=(?!\[redacted\])/);
    await checkInvariants(roster.server.deps.db, { now: roster.clock.now() });
  });

  it('a link token under any spelling of its parameter name is redacted from the request log', async () => {
    const email = uniqueEmail('spelled');
    await roster.api(admin.key, 'POST', '/v2/users', {
      name: 'Spelled Person',
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'email_link',
    });
    const token = new URL(await mailedLink(email, '/invitations/accept')).searchParams.get(
      'token',
    )!;
    const names = ['token', 'TOKEN', '%74oken', '%74%6f%6b%65%6e', 'T%4FKEN'];
    for (const name of names) {
      const page = await newVisitor(roster.url).get(`/invitations/accept?${name}=${token}`);
      expect(page.status, name).toBeLessThan(500);
    }
    // The spelled-out name really is the token to the server: the page shows the invitation.
    const opened = await newVisitor(roster.url).get(`/invitations/accept?%74oken=${token}`);
    expect(opened.body).toContain('Spelled Person');
    for (const name of ['api_key', 'api%5Fkey', 'k%65y']) {
      await roster.api(undefined, 'GET', `/v2/users?${name}=${token}`);
    }
    await signIn(newVisitor(roster.url), email, 'a wrong passphrase entirely');
    expect(log()).not.toContain(token);
    expect(log()).toContain('?%74oken=[redacted]');
  });
});
