import { describe, expect, it } from 'vitest';
import {
  clientAuthMethod,
  identityRefusal,
  issuerProblem,
  loginSecrets,
  passwordSignInAllowed,
  providerProblem,
  redirectUri,
  secretLast4,
} from '../../src/sso/rules.js';
import { openClientSecret, sealClientSecret } from '../../src/sso/client-secret.js';

const SECURE = 'https://roster.example.com';
const DEVELOPMENT = 'http://127.0.0.1:3000';

describe('issuerProblem', () => {
  it.each([
    [SECURE, 'https://login.example.com', undefined],
    [SECURE, 'https://login.example.com/realms/acme', undefined],
    [SECURE, 'http://login.example.com', 'must be an https:// URL'],
    [DEVELOPMENT, 'http://127.0.0.1:8080', undefined],
    [DEVELOPMENT, 'http://10.1.2.3', undefined],
    [DEVELOPMENT, 'https://login.example.com', undefined],
    [DEVELOPMENT, 'ftp://login.example.com', 'must be an https:// or http:// URL'],
    [SECURE, 'login.example.com', 'must be a URL such as https://login.example.com'],
    [SECURE, 'https://user:pw@login.example.com', 'must not carry a user name or password'],
    [SECURE, 'https://login.example.com/?tenant=1', 'must not have a query or a fragment'],
    [SECURE, 'https://login.example.com/#x', 'must not have a query or a fragment'],
  ])('with Roster at %s, %s: %s', (publicUrl, issuer, problem) => {
    expect(issuerProblem(issuer, publicUrl)).toBe(problem);
  });
});

describe('the provider must offer what Roster needs', () => {
  const fit = {
    authorization_endpoint: 'https://idp/auth',
    token_endpoint: 'https://idp/token',
    jwks_uri: 'https://idp/jwks',
  };
  it.each([
    [{}, 'it has no authorization_endpoint'],
    [
      { ...fit, jwks_uri: undefined },
      'it publishes no jwks_uri, so ID token signatures cannot be checked',
    ],
    [
      { ...fit, response_types_supported: ['id_token'] },
      'it does not support the authorization code flow (response type "code")',
    ],
    [{ ...fit, code_challenge_methods_supported: ['plain'] }, 'it does not support PKCE with S256'],
    [
      { ...fit, token_endpoint_auth_methods_supported: ['private_key_jwt'] },
      'it supports neither client_secret_basic nor client_secret_post',
    ],
    [fit, undefined],
  ])('%j: %s', (metadata, problem) => {
    expect(providerProblem(metadata)).toBe(problem);
  });

  it('authenticates with HTTP Basic unless the provider only takes a form post', () => {
    expect(clientAuthMethod(undefined)).toBe('client_secret_basic');
    expect(clientAuthMethod(['client_secret_post', 'client_secret_basic'])).toBe(
      'client_secret_basic',
    );
    expect(clientAuthMethod(['client_secret_post'])).toBe('client_secret_post');
    expect(clientAuthMethod(['none'])).toBeUndefined();
  });
});

describe('identityRefusal: the provider must vouch for the email', () => {
  it.each([
    [{ email: 'a@example.com', email_verified: true }, undefined],
    [{ email: 'a@example.com', email_verified: false }, 'email-unverified'],
    [{ email: 'a@example.com' }, 'email-unverified'],
    [{ email: 'a@example.com', email_verified: 'true' }, 'email-unverified'],
    [{ email: 'a@example.com', email_verified: 1 }, 'email-unverified'],
    [{ email_verified: true }, 'email-missing'],
    [{ email: '', email_verified: true }, 'email-missing'],
  ])('%j: %s', (claims, refusal) => {
    expect(identityRefusal(claims)).toBe(refusal);
  });
});

describe('passwordSignInAllowed', () => {
  it.each([
    [undefined, 'member', true],
    [{ enforced: false }, 'member', true],
    [{ enforced: true }, 'member', false],
    [{ enforced: true }, 'annotator', false],
    [{ enforced: true }, 'custom', false],
    [{ enforced: true }, 'admin', true],
  ] as const)('sso %j, role %s: %s', (sso, role, allowed) => {
    expect(passwordSignInAllowed(sso, role)).toBe(allowed);
  });
});

describe('secrets of a sign-in', () => {
  it('the verifier and nonce come from the state and the server secret, and differ', () => {
    const a = loginSecrets('server-secret-1', 'state-a');
    expect(a).toEqual(loginSecrets('server-secret-1', 'state-a'));
    expect(a.codeVerifier).not.toBe(a.nonce);
    expect(a.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loginSecrets('server-secret-1', 'state-b').nonce).not.toBe(a.nonce);
    expect(loginSecrets('server-secret-2', 'state-a').codeVerifier).not.toBe(a.codeVerifier);
  });

  it('a client secret is sealed, opens only under the same server secret and account', () => {
    const sealed = sealClientSecret('server-secret-1', 'ACCOUNT1', 'client-secret-xyz');
    expect(sealed).not.toContain('client-secret-xyz');
    expect(sealed).not.toBe(sealClientSecret('server-secret-1', 'ACCOUNT1', 'client-secret-xyz'));
    expect(openClientSecret('server-secret-1', 'ACCOUNT1', sealed)).toBe('client-secret-xyz');
    expect(openClientSecret('server-secret-2', 'ACCOUNT1', sealed)).toBeUndefined();
    expect(openClientSecret('server-secret-1', 'ACCOUNT2', sealed)).toBeUndefined();
    expect(openClientSecret('server-secret-1', 'ACCOUNT1', `${sealed}x`)).toBeUndefined();
    expect(openClientSecret('server-secret-1', 'ACCOUNT1', 'garbage')).toBeUndefined();
  });

  it('shows the last 4 characters, and the redirect URI under the public URL', () => {
    expect(secretLast4('abcdef123456')).toBe('3456');
    expect(secretLast4('ab')).toBe('ab');
    expect(redirectUri(SECURE)).toBe('https://roster.example.com/sso/callback');
  });
});
