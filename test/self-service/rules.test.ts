import { describe, expect, it } from 'vitest';
import {
  commonPasswordCount,
  normalizePassword,
  passwordProblem,
} from '../../src/auth/password-policy.js';
import { dictionary } from '@zxcvbn-ts/language-common';
import {
  EMAIL_LIMIT,
  signInThrottleRules,
  THROTTLE_WINDOW_MS,
  throttleDelayMs,
} from '../../src/self-service/rules.js';
import { isSessionLive, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../src/sessions/rules.js';

const person = { email: 'grace.hopper@example.com', name: 'Grace Hopper' };

describe('password policy', () => {
  it('accepts 8 to 256 characters, counted as characters, not bytes', () => {
    expect(passwordProblem('Abcdefg', person)).toMatch(/at least 8/);
    expect(passwordProblem('plumtree', person)).toBeUndefined();
    expect(passwordProblem('ü'.repeat(256), person)).toBeUndefined();
    expect(passwordProblem('😀'.repeat(256), person)).toBeUndefined();
    expect(passwordProblem('x'.repeat(257), person)).toMatch(/at most 256/);
  });

  it('has no composition rules: spaces, one case, only letters are fine', () => {
    for (const password of ['all lower case words', 'ONLYUPPERCASEHERE', 'plain words here']) {
      expect(passwordProblem(password, person)).toBeUndefined();
    }
  });

  it('refuses every common password of 8 characters or more (at least 10,000), in any case', () => {
    const eligible = dictionary['passwords-common'].filter((p) => [...p].length >= 8);
    expect(eligible.length).toBeGreaterThanOrEqual(10_000);
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(eligible.length);
    for (const password of eligible) expect(passwordProblem(password, person)).toMatch(/common/);
    expect(passwordProblem('PassWord123', person)).toMatch(/common/);
  });

  it('refuses the email, its local part and the name', () => {
    expect(passwordProblem('grace.hopper@example.com', person)).toMatch(
      /email address or your name/,
    );
    expect(passwordProblem('GRACE.HOPPER', person)).toMatch(/email address or your name/);
    expect(passwordProblem('grace hopper', person)).toMatch(/email address or your name/);
  });

  it('normalises to NFKC so one password typed two ways is one password', () => {
    expect(normalizePassword('cafe\u0301-latte-9')).toBe(normalizePassword('caf\u00e9-latte-9'));
    expect(normalizePassword('ｆｕｌｌｗｉｄｔｈ')).toBe('fullwidth');
  });

  it('refuses text that is not valid Unicode', () => {
    expect(passwordProblem('abcdefgh\ud800', person)).toMatch(/cannot be used/);
  });
});

describe('sign-in throttle', () => {
  const now = 1_000_000_000;

  it('allows a try while fewer than the limit failed within the window', () => {
    expect(throttleDelayMs([], EMAIL_LIMIT, now)).toBe(0);
    expect(throttleDelayMs(Array(EMAIL_LIMIT - 1).fill(now - 1), EMAIL_LIMIT, now)).toBe(0);
  });

  it('refuses until the oldest counted failure leaves the window', () => {
    const failures = Array.from({ length: EMAIL_LIMIT }, (_, i) => now - i * 1000);
    expect(throttleDelayMs(failures, EMAIL_LIMIT, now)).toBe(
      THROTTLE_WINDOW_MS - (EMAIL_LIMIT - 1) * 1000,
    );
    expect(throttleDelayMs(failures, EMAIL_LIMIT, now + THROTTLE_WINDOW_MS)).toBe(0);
  });

  it('ignores failures older than the window', () => {
    const old = Array(EMAIL_LIMIT).fill(now - THROTTLE_WINDOW_MS);
    expect(throttleDelayMs(old, EMAIL_LIMIT, now)).toBe(0);
  });

  it('counts a trusted device on its own key instead of the email and the address', () => {
    const base = { emailNormalized: 'a@example.com', ip: '10.0.0.1' };
    expect(signInThrottleRules({ ...base, deviceNonce: undefined }).map((r) => r.key)).toEqual([
      'email:a@example.com',
      'ip:10.0.0.1',
    ]);
    expect(signInThrottleRules({ ...base, deviceNonce: 'n' }).map((r) => r.key)).toEqual([
      'device:n',
    ]);
  });
});

describe('session lifetime', () => {
  const now = 5_000_000_000;
  it('ends when idle too long or past its absolute end', () => {
    expect(isSessionLive({ last_seen_at: now, expires_at: now + SESSION_ABSOLUTE_MS }, now)).toBe(
      true,
    );
    expect(
      isSessionLive({ last_seen_at: now - SESSION_IDLE_MS, expires_at: now + 1000 }, now),
    ).toBe(false);
    expect(isSessionLive({ last_seen_at: now, expires_at: now }, now)).toBe(false);
  });
});
