/**
 * The console's Account page saves single sign-on against a real OpenID provider: the API then
 * shows it (its secret never), the page says it is saved, and the audit log has its entry.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';
import { startIdentityProvider, type IdentityProvider } from '../support/identity-provider.js';
import { activePerson } from '../self-service/people.js';
import { type Visitor } from '../self-service/visitor.js';

const SECRET = 'secret-of-roster-console-0123456789';

describeEachDatabase('the console’s single sign-on form', (database) => {
  const roster = useRoster(database);
  let provider: IdentityProvider;
  let owner: Caller;
  let admin: Visitor;

  beforeAll(async () => {
    provider = await startIdentityProvider({
      clients: [
        {
          client_id: 'roster',
          client_secret: SECRET,
          redirect_uris: [`${roster.url}/sso/callback`, 'http://roster.test/sso/callback'],
        },
      ],
    });
    owner = await roster.newAccount();
    admin = (await activePerson(roster, owner, 'admin')).browser;
  });
  afterAll(async () => {
    await provider?.close();
  });

  it('an admin saves single sign-on from the Account page; the API shows it, without the secret', async () => {
    await admin.get('/admin/account');
    const saved = await admin.post('/admin/account/sso', {
      issuer: provider.issuer,
      client_id: 'roster',
      client_secret: SECRET,
      enforced: 'yes',
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.location).toBe('/admin/account?notice=sso');
    const page = await admin.get('/admin/account?notice=sso');
    expect(page.body).toContain('Single sign-on is saved.');
    expect(page.body).toContain(provider.issuer);
    expect(page.body).toContain('6789');
    expect(page.body).not.toContain(SECRET);

    const shown = await roster.api(owner.key, 'GET', '/v2/sso');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      issuer: provider.issuer,
      client_id: 'roster',
      client_secret_last4: '6789',
      enforced: true,
    });
    expect(JSON.stringify(shown.body)).not.toContain(SECRET);
    const audit = await roster.api(owner.key, 'GET', '/v2/audit-logs?limit=10');
    expect(JSON.stringify(audit.body)).toContain('POST /admin/account/sso');
    expect(JSON.stringify(audit.body)).not.toContain(SECRET);
  });
});
