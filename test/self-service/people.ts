/** Invited people for the page tests, made through the real API and the real emails. */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { uniqueEmail, type Caller, type TestRoster } from '../support/roster.js';
import { linkPath, newVisitor, type Visitor } from './visitor.js';

export function strongPassword(): string {
  return `Quiet-Lantern-${randomBytes(4).toString('hex')}`;
}

export interface Invited {
  id: string;
  internalId: string;
  email: string;
  name: string;
  temporaryPassword?: string;
}

export async function invite(
  roster: TestRoster,
  admin: Caller,
  mode: 'email_link' | 'temporary_password' | 'none' = 'email_link',
  role: 'admin' | 'member' | 'annotator' = 'member',
): Promise<Invited> {
  const email = uniqueEmail('person');
  const name = `Grace ${randomBytes(2).toString('hex')}`;
  const created = await roster.api(admin.key, 'POST', '/v2/users', {
    name,
    email,
    role: { type: 'predefined', name: role },
    invite_mode: mode,
  });
  expect(created.status).toBe(201);
  return {
    id: created.body.id,
    internalId: Buffer.from(created.body.id, 'base64').toString().slice('User:'.length),
    email,
    name,
    temporaryPassword: created.body.temporary_password,
  };
}

/** The path of the newest link of this kind emailed to `email`, waiting for the email. */
export async function emailedLink(
  roster: TestRoster,
  email: string,
  prefix: '/invitations/accept' | '/password/reset',
  count = 1,
): Promise<string> {
  const subject = prefix === '/password/reset' ? 'Reset' : 'invited';
  const mails = await roster.smtp.waitFor(
    (m) => m.to.includes(email.toLowerCase()) && m.subject.includes(subject),
    count,
  );
  return linkPath(mails[mails.length - 1]!, prefix);
}

export async function statusOf(roster: TestRoster, admin: Caller, id: string) {
  const response = await roster.api(admin.key, 'GET', `/v2/users/${id}`);
  return response.status === 200 ? (response.body.status as string) : `http ${response.status}`;
}

/** An active person of `role` with a password, signed in in the returned browser. */
export async function activePerson(
  roster: TestRoster,
  admin: Caller,
  role: 'admin' | 'member' | 'annotator' = 'member',
): Promise<Invited & { password: string; browser: Visitor }> {
  const person = await invite(roster, admin, 'email_link', role);
  const link = await emailedLink(roster, person.email, '/invitations/accept');
  const browser = newVisitor(roster.url);
  await browser.get(link);
  const password = strongPassword();
  const accepted = await browser.post('/invitations/accept', {
    token: new URL(link, 'http://x').searchParams.get('token')!,
    password,
    confirmation: password,
  });
  expect(accepted.status).toBe(303);
  return { ...person, password, browser };
}

export async function signIn(browser: Visitor, email: string, password: string, extra = {}) {
  await browser.get('/login');
  return browser.post('/login', { email, password, ...extra });
}

export function sessionCount(roster: TestRoster, userId: string): Promise<number> {
  return roster.server.deps.db.kysely
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
    .then((row) => Number(row.n));
}
