/**
 * Decisions of single sign-on (OpenID Connect), as plain functions. No I/O here.
 */
import { createHmac } from 'node:crypto';
import type { AccountRole } from '../db/tables.js';

/** What Roster asks every provider for. */
export const SSO_SCOPES = 'openid email profile';

/** How long a person has at the provider before the sign-in they started is refused. */
export const SSO_LOGIN_TTL_MS = 10 * 60 * 1000;

export const CLIENT_ID_MAX = 255;
export const CLIENT_SECRET_MAX = 1000;
export const ISSUER_MAX = 2048;

/** Where every provider sends the browser back: registered at the provider as is. */
export function redirectUri(publicUrl: string): string {
  return `${publicUrl}/sso/callback`;
}

/**
 * What is wrong with an issuer, if anything. It must be https://, except when Roster itself is
 * served over http:// (development and tests), where an http:// issuer is accepted too.
 */
export function issuerProblem(issuer: string, publicUrl: string): string | undefined {
  if (issuer.length > ISSUER_MAX) return `must be at most ${ISSUER_MAX} characters`;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return 'must be a URL such as https://login.example.com';
  }
  const insecureAllowed = new URL(publicUrl).protocol === 'http:';
  if (url.protocol !== 'https:' && !(insecureAllowed && url.protocol === 'http:')) {
    return insecureAllowed ? 'must be an https:// or http:// URL' : 'must be an https:// URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.search || url.hash) return 'must not have a query or a fragment';
  return undefined;
}

/** Whether requests to this issuer may go over plain http (only when issuerProblem allowed it). */
export function isInsecureIssuer(issuer: string): boolean {
  return new URL(issuer).protocol === 'http:';
}

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/**
 * How Roster authenticates at the token endpoint: HTTP Basic when the provider supports it
 * (the default of the specification when it says nothing), else a form post; undefined when it
 * supports neither.
 */
export function clientAuthMethod(
  supported: readonly string[] | undefined,
): ClientAuthMethod | undefined {
  const methods = supported ?? ['client_secret_basic'];
  if (methods.includes('client_secret_basic')) return 'client_secret_basic';
  if (methods.includes('client_secret_post')) return 'client_secret_post';
  return undefined;
}

/** What is wrong with a provider's discovery document for Roster, if anything. */
export function providerProblem(metadata: {
  authorization_endpoint?: string;
  token_endpoint?: string;
  jwks_uri?: string;
  response_types_supported?: readonly string[];
  code_challenge_methods_supported?: readonly string[];
  token_endpoint_auth_methods_supported?: readonly string[];
}): string | undefined {
  if (!metadata.authorization_endpoint) return 'it has no authorization_endpoint';
  if (!metadata.token_endpoint) return 'it has no token_endpoint';
  if (!metadata.jwks_uri)
    return 'it publishes no jwks_uri, so ID token signatures cannot be checked';
  if (metadata.response_types_supported && !metadata.response_types_supported.includes('code')) {
    return 'it does not support the authorization code flow (response type "code")';
  }
  const pkce = metadata.code_challenge_methods_supported;
  if (pkce && !pkce.includes('S256')) return 'it does not support PKCE with S256';
  if (!clientAuthMethod(metadata.token_endpoint_auth_methods_supported)) {
    return 'it supports neither client_secret_basic nor client_secret_post';
  }
  return undefined;
}

/**
 * The PKCE verifier and the nonce of a sign-in, derived from its state under the server secret:
 * nothing of them needs storing, and neither can be worked out from the state alone.
 */
export function loginSecrets(serverSecret: string, state: string) {
  const derive = (purpose: string) =>
    createHmac('sha256', serverSecret).update(`sso-${purpose}:${state}`).digest('base64url');
  return { codeVerifier: derive('pkce'), nonce: derive('nonce') };
}

/** The shape of a state Roster makes (randomState: 32 random bytes, base64url). */
export function isStateShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

export type IdentityRefusal = 'email-missing' | 'email-unverified';

/** The provider must vouch for the email: present, and email_verified exactly true. */
export function identityRefusal(claims: Record<string, unknown>): IdentityRefusal | undefined {
  if (typeof claims.email !== 'string' || claims.email === '') return 'email-missing';
  if (claims.email_verified !== true) return 'email-unverified';
  return undefined;
}

/**
 * Whether a password may sign in to an account: always without SSO or when it is not
 * enforced; when it is, only an admin's (break-glass, so an account is never locked out by a
 * broken provider).
 */
export function passwordSignInAllowed(
  sso: { enforced: boolean } | undefined,
  role: AccountRole,
): boolean {
  return !sso?.enforced || role === 'admin';
}

/** The last 4 characters of a client secret: what Roster shows of it. */
export function secretLast4(secret: string): string {
  return [...secret].slice(-4).join('');
}
