/**
 * The people page's counts by status are exact: every user of the account that is not deleted,
 * the invited told from the expired by their live invitation's expiry, no other account's.
 */
import { expect, it } from 'vitest';
import { describeEachDatabase, useRoster } from '../support/roster.js';
import { activePerson, invite } from '../self-service/people.js';

const DAY_MS = 24 * 3600 * 1000;

function countsOf(body: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [, label, value] of body.matchAll(/<dt>([^<]+)<\/dt>\s*<dd>([\d,]+)<\/dd>/g)) {
    out[label!] = Number(value!.replace(/,/g, ''));
  }
  return out;
}

describeEachDatabase('the people page counts', (database) => {
  const roster = useRoster(database);

  it('counts every active, invited and expired person of the account, and no one else', async () => {
    const owner = await roster.newAccount();
    const other = await roster.newAccount();
    await invite(roster, other, 'email_link');
    await invite(roster, owner, 'none');
    await invite(roster, owner, 'email_link');
    await invite(roster, owner, 'temporary_password');
    const deleted = await invite(roster, owner, 'email_link');
    expect((await roster.api(owner.key, 'DELETE', `/v2/users/${deleted.id}`)).status).toBe(204);
    roster.clock.advance(8 * DAY_MS);
    await invite(roster, owner, 'email_link');
    await invite(roster, owner, 'email_link', 'annotator');

    const { browser } = await activePerson(roster, owner, 'admin');

    const page = await browser.get('/admin');
    expect(page.status).toBe(200);
    // Active: the owner, the person made without an invitation, the admin who accepted.
    // Invited: the two invited after the clock moved. Expired: the two invited before it.
    expect(countsOf(page.body)).toEqual({ Active: 3, Invited: 2, 'Invitation expired': 2 });
    expect(page.body).toContain('Everyone in the account, counted now.');
  });
});
