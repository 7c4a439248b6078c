/**
 * A real OpenID Connect provider (oidc-provider) on loopback, for the single sign-on tests:
 * clients registered for Roster, and people whose claims (email, email_verified) a test sets.
 * People sign in through the provider's own login and consent pages (its development
 * interactions), which the tests fill in over plain HTTP or in Chromium.
 *
 * Ways a provider can be wrong, each a configuration of the real provider:
 * - `idTokenTtlSeconds`: how long its ID tokens last (a short one lets a test outrun it);
 * - `publishedKey`: its /jwks publishes another key than the one it signs with (same key id),
 *   as an impostor's would: the JWKS is served by a second provider with that key;
 * - `registeredAs`: its registration of a client id answers as another client, so its ID
 *   tokens name that other client as their audience (it asks no consent of such a client).
 */
import http from 'node:http';
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type ClientMetadata } from 'oidc-provider';

export interface Person {
  email?: string;
  email_verified?: unknown;
  name?: string;
}

export interface TestClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface IdentityProviderOptions {
  clients: TestClient[];
  idTokenTtlSeconds?: number;
  /** Email claims in the ID token (most providers), or only from UserInfo (OIDC Core 5.4). */
  emailInIdToken?: boolean;
  publishedKey?: JsonWebKey;
  /** client_id -> the client id its registration answers as (that client's id is the audience). */
  registeredAs?: Record<string, string>;
}

export interface IdentityProvider {
  issuer: string;
  /** The people it signs in, by the login name typed on its sign-in page. */
  people: Map<string, Person>;
  close(): Promise<void>;
}

const KEY_ID = 'roster-test-key';

export function signingKey(): JsonWebKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: KEY_ID, use: 'sig', alg: 'RS256' };
}

/** Storage for the provider's models, in memory; clients come from `registrations`. */
function memoryAdapter(registrations: Map<string, ClientMetadata>) {
  const rows = new Map<string, AdapterPayload>();
  return (name: string): Adapter => {
    const key = (id: string) => `${name}:${id}`;
    return {
      async upsert(id, payload) {
        rows.set(key(id), payload);
      },
      async find(id) {
        if (name === 'Client') return registrations.get(id) as AdapterPayload | undefined;
        return rows.get(key(id));
      },
      async findByUserCode() {
        return undefined;
      },
      async findByUid(uid) {
        return [...rows.entries()].find(([k, v]) => k.startsWith(`${name}:`) && v.uid === uid)?.[1];
      },
      async consume(id) {
        const row = rows.get(key(id));
        if (row) row.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        rows.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, v] of rows) if (v.grantId === grantId) rows.delete(k);
      },
    };
  };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

export async function startIdentityProvider(
  options: IdentityProviderOptions,
): Promise<IdentityProvider> {
  const server = http.createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const people = new Map<string, Person>();
  const registrations = new Map<string, ClientMetadata>(
    options.clients.map((client) => [
      client.client_id,
      { ...client, client_id: options.registeredAs?.[client.client_id] ?? client.client_id },
    ]),
  );
  const key = signingKey();
  const provider = new Provider(issuer, {
    adapter: memoryAdapter(registrations),
    jwks: { keys: [key] },
    cookies: { keys: ['identity-provider-test-cookies'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: options.emailInIdToken === false,
    pkce: { required: () => true, methods: ['S256'] },
    ttl: {
      IdToken: options.idTokenTtlSeconds ?? 3600,
      AccessToken: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    // A provider that answers as another client trusts it as its own: no consent page, the
    // grant is made for the client its registration names (as first-party apps often are).
    ...(options.registeredAs
      ? {
          async loadExistingGrant(ctx) {
            const grant = new ctx.oidc.provider.Grant({
              clientId: ctx.oidc.client!.clientId,
              accountId: ctx.oidc.session!.accountId,
            });
            grant.addOIDCScope('openid email profile');
            const grantId = await grant.save();
            // The session files the grant under the client id asked for; the code looks it up
            // under the id the registration answers as.
            ctx.oidc.session!.ensureClientContainer(ctx.oidc.client!.clientId);
            ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId, grantId);
            return grant;
          },
        }
      : {}),
    async findAccount(_ctx, login) {
      const person = people.get(login);
      if (!person) return undefined;
      return { accountId: login, claims: async () => ({ sub: login, ...person }) };
    },
  });
  const impostor = options.publishedKey
    ? new Provider(issuer, { jwks: { keys: [options.publishedKey] } })
    : undefined;
  provider.on('server_error', (_ctx, error) => console.error('identity provider:', error));
  const handle = provider.callback();
  const handleJwks = impostor?.callback();
  server.on('request', (request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (handleJwks && path === '/jwks') return handleJwks(request, response);
    return handle(request, response);
  });
  return {
    issuer,
    people,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
