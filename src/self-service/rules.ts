/**
 * Decisions of the sign-in pages, as plain functions. No I/O here.
 *
 * Failed sign-ins are throttled over a short sliding window, on three kinds of key:
 * - the normalised email, one bucket whatever else the form carries (naming an account, any
 *   account, does not open another): a password-guessing attack on one person, from any number
 *   of addresses, gets at most EMAIL_LIMIT tries per window;
 * - the client address: one address trying many emails gets at most IP_LIMIT tries per window;
 * - a trusted device (see device.ts): a browser in which this person already signed in is
 *   counted on its own key instead of the two above, so failures caused by someone else never
 *   lock the person out of the browser they use.
 * A throttled try is refused before the password is checked and is not counted, so the lock
 * ends at most one window after the last counted failure; a successful sign-in or password
 * reset clears the email's failures. Nothing is locked for longer than that.
 */
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const EMAIL_LIMIT = 10;
export const IP_LIMIT = 100;
export const DEVICE_LIMIT = 10;

export interface ThrottleRule {
  key: string;
  limit: number;
}

export function signInThrottleRules(input: {
  emailNormalized: string;
  ip: string;
  deviceNonce: string | undefined;
}): ThrottleRule[] {
  if (input.deviceNonce) return [{ key: `device:${input.deviceNonce}`, limit: DEVICE_LIMIT }];
  return [
    { key: emailThrottleKey(input.emailNormalized), limit: EMAIL_LIMIT },
    { key: `ip:${input.ip}`, limit: IP_LIMIT },
  ];
}

/** The one key of an email's failures, for sign-in and for the current password of a change. */
export function emailThrottleKey(emailNormalized: string): string {
  return `email:${emailNormalized}`;
}

/**
 * A sign-in checks the password against at most this many of the person's accounts when the
 * form names none, and always makes exactly this many password checks (padded with checks
 * against nothing), so its work does not depend on how many accounts the email is in. A form
 * that names an account makes exactly one.
 */
export const SIGN_IN_CHECKS = 3;

/** How many password checks a sign-in makes: a function of the form alone, never of the data. */
export function signInChecks(accountNamed: boolean): number {
  return accountNamed ? 1 : SIGN_IN_CHECKS;
}

/**
 * How long until one more try is allowed, given the times of the most recent failures on a
 * key (newest first, at most `limit` of them); 0 when a try is allowed now.
 */
export function throttleDelayMs(recentFailures: readonly number[], limit: number, now: number) {
  const inWindow = recentFailures.filter((at) => at > now - THROTTLE_WINDOW_MS);
  if (inWindow.length < limit) return 0;
  const oldestCounted = inWindow[limit - 1]!;
  return Math.max(1, oldestCounted + THROTTLE_WINDOW_MS - now);
}

/** A reset email is sent at most this often per user, so the form cannot flood a mailbox. */
export const RESET_EMAIL_INTERVAL_MS = 60 * 1000;
