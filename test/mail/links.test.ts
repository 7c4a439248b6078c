/**
 * The base of the links in emails without ROSTER_PUBLIC_URL: where Roster listens. With PORT=0
 * that is the port the system chose at listen time, never port 0.
 */
import { expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail } from '../support/roster.js';
import { linkIn } from '../support/smtp.js';

describeEachDatabase('links without ROSTER_PUBLIC_URL', (database) => {
  const roster = useRoster(database, { env: { ROSTER_PUBLIC_URL: '', PORT: '0' } });

  it('with PORT=0 the emailed link names the port Roster listens on, and opens the page', async () => {
    const port = new URL(roster.url).port;
    expect(Number(port)).toBeGreaterThan(0);
    const admin = await roster.newAccount();
    const email = uniqueEmail('port');
    const created = await roster.api(admin.key, 'POST', '/v2/users', {
      name: 'Port Person',
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'email_link',
    });
    expect(created.status).toBe(201);
    const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
    const link = linkIn(mail!, '/invitations/accept');
    expect(link.startsWith(`http://127.0.0.1:${port}/invitations/accept?token=`)).toBe(true);
    expect(mail!.html).toContain(`href="${link}"`);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Port Person');
  });
});
