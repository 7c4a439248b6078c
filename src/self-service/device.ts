/**
 * Device cookies (OWASP "slow brute-force" protection): a browser in which a person signed in
 * successfully gets a long-lived cookie signed for that user. Failed sign-ins from elsewhere can
 * throttle the email, but a browser holding this cookie is throttled on its own counter only,
 * so an attacker cannot lock the real person out of the browser they already use.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const DEVICE_COOKIE_MAX_AGE_S = 180 * 24 * 3600;

function mac(serverSecret: string, accountId: string, userId: string, nonce: string): string {
  return createHmac('sha256', serverSecret)
    .update(`device:${accountId}:${userId}:${nonce}`)
    .digest('base64url');
}

export function deviceCookieFor(serverSecret: string, accountId: string, userId: string): string {
  const nonce = randomBytes(16).toString('base64url');
  return `${nonce}.${mac(serverSecret, accountId, userId, nonce)}`;
}

/** The device's nonce when the cookie was issued to one of these users, else undefined. */
export function trustedDeviceNonce(
  serverSecret: string,
  cookie: string | undefined,
  users: ReadonlyArray<{ accountId: string; userId: string }>,
): string | undefined {
  const match = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(cookie ?? '');
  if (!match) return undefined;
  const [, nonce, given] = match as unknown as [string, string, string];
  const givenBytes = Buffer.from(given);
  for (const user of users) {
    const expected = Buffer.from(mac(serverSecret, user.accountId, user.userId, nonce));
    if (expected.length === givenBytes.length && timingSafeEqual(expected, givenBytes)) {
      return nonce;
    }
  }
  return undefined;
}
