/**
 * Single sign-on against a real OpenID Connect provider (oidc-provider on loopback), over
 * HTTP, on both databases: configuring it (/v2/sso), signing in through it, and every way a
 * sign-in is refused with nothing changed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeEachDatabase,
  uniqueEmail,
  useRoster,
  type Caller,
} from '../support/roster.js';
import {
  signingKey,
  startIdentityProvider,
  type IdentityProvider,
} from '../support/identity-provider.js';
import { alertOf, newVisitor } from '../self-service/visitor.js';
import { invite, sessionCount } from '../self-service/people.js';
import { atProvider, refreshTarget, signInWithSso, startSso } from './flow.js';

const REDIRECT_URI = 'http://roster.test/sso/callback';

function client(client_id: string) {
  return { client_id, client_secret: `secret-of-${client_id}-0123456789`, redirect_uris: [REDIRECT_URI] };
}

describeEachDatabase('single sign-on', (database) => {
  const roster = useRoster(database);
  let provider: IdentityProvider;
  let admin: Caller;

  beforeAll(async () => {
    provider = await startIdentityProvider({ clients: [client('roster')] });
    admin = await roster.newAccount();
  });
  afterAll(async () => {
    await provider?.close();
  });

  async function configure(caller: Caller, idp: IdentityProvider, clientId = 'roster', enforced = false) {
    const response = await roster.api(caller.key, 'PUT', '/v2/sso', {
      issuer: idp.issuer,
      client_id: clientId,
      client_secret: client(clientId).client_secret,
      enforced,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body;
  }

  it('an SSO user (invite_mode none) signs in through the provider and lands on /account', async () => {
    await configure(admin, provider);
    const person = await invite(roster, admin, 'none');
    provider.people.set(person.email, { email: person.email, email_verified: true, name: person.name });
    const { browser, page } = await signInWithSso(roster, provider, person.email);
    expect(page.status, page.body).toBe(303);
    expect(page.location).toBe('/account');
    const account = await browser.get('/account');
    expect(account.status).toBe(200);
    expect(account.body).toContain(person.email);
  });
});
