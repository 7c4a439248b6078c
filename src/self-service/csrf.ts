/**
 * CSRF protection for every form post: a signed double-submit token. Each browser gets a
 * random `csrf` cookie (HttpOnly); each form carries HMAC(server secret, cookie + session id).
 * Another site can make the browser send the cookie but cannot read it, and cannot compute the
 * token without the server secret; binding the token to the session means a token obtained under
 * one session does not work under another.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CSRF_FIELD = '_csrf';

export function newCsrfCookie(): string {
  return randomBytes(16).toString('base64url');
}

export function csrfToken(serverSecret: string, cookie: string, sessionId: string | undefined) {
  return createHmac('sha256', serverSecret)
    .update(`csrf:${cookie}:${sessionId ?? ''}`)
    .digest('base64url');
}

export function isValidCsrfToken(
  serverSecret: string,
  cookie: string | undefined,
  sessionId: string | undefined,
  token: string,
): boolean {
  if (!cookie || !token) return false;
  const expected = Buffer.from(csrfToken(serverSecret, cookie, sessionId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
