import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';
import { newVisitor, tokenOf } from './visitor.js';
import { emailedLink, invite, signIn, strongPassword } from './people.js';

describeEachDatabase('what the pages log', (database) => {
  const lines: string[] = [];
  const roster = useRoster(database, { logStream: (line) => void lines.push(line) });
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  it('never logs a link token, a password, a temporary password or a session cookie', async () => {
    const person = await invite(roster, admin);
    const link = await emailedLink(roster, person.email, '/invitations/accept');
    const browser = newVisitor(roster.url);
    await browser.get(link);
    const password = strongPassword();
    await browser.post('/invitations/accept', {
      token: tokenOf(link),
      password,
      confirmation: password,
    });
    await browser.get('/account');
    await browser.post('/logout', {});
    await signIn(newVisitor(roster.url), person.email, 'Wrong-Password-123');

    const temporary = await invite(roster, admin, 'temporary_password');
    await signIn(newVisitor(roster.url), temporary.email, temporary.temporaryPassword!);

    const reader = newVisitor(roster.url);
    await reader.get('/password/forgot');
    await reader.post('/password/forgot', { email: person.email });
    const reset = await emailedLink(roster, person.email, '/password/reset');
    await reader.get(reset);

    const secrets = [
      tokenOf(link),
      tokenOf(reset),
      password,
      'Wrong-Password-123',
      temporary.temporaryPassword!,
      ...browser.cookies.values(),
      ...reader.cookies.values(),
    ];
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.some((line) => line.includes('/invitations/accept?token=[redacted]'))).toBe(true);
    for (const secret of secrets) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
