import { describe, expect, it } from 'vitest';
import { KEY_EXPIRY_CHOICES, keyExpiresAt } from '../../src/self-service/key-expiry.js';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const DAY = 24 * 3600 * 1000;

describe('the expiry chosen for a new key on /account', () => {
  it.each([
    ['', undefined],
    ['7', NOW + 7 * DAY],
    ['30', NOW + 30 * DAY],
    ['90', NOW + 90 * DAY],
    ['365', NOW + 365 * DAY],
  ])('choice %j expires at %s', (choice, expected) => {
    expect(keyExpiresAt(choice, NOW)).toBe(expected);
  });

  it.each(['0', '-1', '1', '7.0', ' 7', '07', '1e3', 'never', '36500'])(
    'a value that is not one of the choices (%j) is unknown',
    (choice) => {
      expect(keyExpiresAt(choice, NOW)).toBe('unknown');
    },
  );

  it('every choice the form offers is accepted, and the first is no expiry', () => {
    expect(KEY_EXPIRY_CHOICES[0]).toEqual({ value: '', label: 'Never' });
    for (const choice of KEY_EXPIRY_CHOICES) {
      expect(keyExpiresAt(choice.value, NOW)).not.toBe('unknown');
    }
  });
});
