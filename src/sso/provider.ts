/**
 * Roster as an OpenID Connect relying party, through openid-client: discovery, the
 * authorization URL, and the code exchange with every check of the ID token (signature from
 * the provider's JWKS, iss, aud, exp, nonce) done by the library, never by hand.
 */
import * as oidc from 'openid-client';
import type { SsoProvidersTable } from '../db/tables.js';
import { clientAuthMethod, isInsecureIssuer, redirectUri, SSO_SCOPES } from './rules.js';

/** Seconds a provider has to answer discovery, JWKS and token requests. */
const PROVIDER_TIMEOUT_S = 10;

export type ProviderMetadata = oidc.ServerMetadata;

/** A short, human account of why talking to a provider failed (no secrets: none are in it). */
export function failureReason(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    return `the provider answered ${error.error}${description}`;
  }
  if (!(error instanceof Error)) return String(error);
  // openid-client names the kind of failure; its cause says exactly what (which claim, which
  // network error).
  const cause = (error as { cause?: unknown }).cause;
  let text = error.message;
  if (cause instanceof Error) {
    if (cause.message && cause.message !== error.message) text += `: ${cause.message}`;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('OAUTH_')) text += ` (${code})`;
  } else if (typeof cause === 'object' && cause !== null && 'status' in cause) {
    text += ` (HTTP ${String((cause as { status: unknown }).status)})`;
  }
  return text.slice(0, 300);
}

/** The provider's discovery document, read from `<issuer>/.well-known/openid-configuration`. */
export async function discoverProvider(
  issuer: string,
  clientId: string,
): Promise<ProviderMetadata> {
  const configuration = await oidc.discovery(new URL(issuer), clientId, undefined, undefined, {
    timeout: PROVIDER_TIMEOUT_S,
    ...(isInsecureIssuer(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
  });
  return { ...configuration.serverMetadata() };
}

/** What Roster needs to talk to one account's provider. */
export interface RelyingParty {
  configuration: oidc.Configuration;
  redirectUri: string;
}

/**
 * The relying party for an account's provider, from what was stored at configuration. `now`
 * is Roster's clock: the ID token's times are checked against it.
 */
export function relyingParty(
  provider: SsoProvidersTable,
  clientSecret: string,
  publicUrl: string,
  now: number,
): RelyingParty {
  const metadata = JSON.parse(provider.metadata) as ProviderMetadata;
  const authentication =
    clientAuthMethod(metadata.token_endpoint_auth_methods_supported) === 'client_secret_post'
      ? oidc.ClientSecretPost(clientSecret)
      : oidc.ClientSecretBasic(clientSecret);
  const configuration = new oidc.Configuration(
    metadata,
    provider.client_id,
    { [oidc.clockSkew]: Math.round((now - Date.now()) / 1000) },
    authentication,
  );
  configuration.timeout = PROVIDER_TIMEOUT_S;
  if (isInsecureIssuer(provider.issuer)) oidc.allowInsecureRequests(configuration);
  // The ID token's signature is checked against the provider's JWKS, not only trusted
  // because it came over the back channel.
  oidc.enableNonRepudiationChecks(configuration);
  return { configuration, redirectUri: redirectUri(publicUrl) };
}

/** Where to send the browser: code flow, PKCE S256, state, nonce, and the email as a hint. */
export async function authorizationUrl(
  party: RelyingParty,
  login: { state: string; nonce: string; codeVerifier: string; loginHint: string },
): Promise<string> {
  const url = oidc.buildAuthorizationUrl(party.configuration, {
    redirect_uri: party.redirectUri,
    response_type: 'code',
    scope: SSO_SCOPES,
    state: login.state,
    nonce: login.nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(login.codeVerifier),
    code_challenge_method: 'S256',
    login_hint: login.loginHint,
  });
  return url.href;
}

/**
 * Exchanges the code the provider sent back for tokens and returns the ID token's claims,
 * once openid-client has checked the response (state, iss) and the ID token (signature, iss,
 * aud, exp, nonce), with the email claims from UserInfo when the ID token has none. `query`
 * is the callback's query string.
 */
export async function verifiedClaims(
  party: RelyingParty,
  query: string,
  expected: { state: string; nonce: string; codeVerifier: string },
): Promise<Record<string, unknown>> {
  const callback = new URL(party.redirectUri);
  callback.search = query;
  const tokens = await oidc.authorizationCodeGrant(party.configuration, callback, {
    pkceCodeVerifier: expected.codeVerifier,
    expectedState: expected.state,
    expectedNonce: expected.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error('the provider sent no ID token');
  if (claims.email !== undefined) return claims;
  // Providers that follow OpenID Connect Core to the letter (5.4) return the claims of the
  // email scope from the UserInfo endpoint only, not in the ID token of the code flow:
  // openid-client asks it, and checks that it speaks of the ID token's subject.
  const userinfo = await oidc.fetchUserInfo(party.configuration, tokens.access_token, claims.sub);
  return { email: userinfo.email, email_verified: userinfo.email_verified, ...claims };
}
