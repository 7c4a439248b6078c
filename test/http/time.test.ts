import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/http/time.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('isoTime', () => {
  it('writes what toISOString writes, at the edges of days, months, years and leap years', () => {
    const edges = [
      0,
      1,
      999,
      Date.UTC(1970, 0, 1, 23, 59, 59, 999),
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29, 12, 0, 0, 5),
      Date.UTC(2000, 2, 1),
      Date.UTC(2024, 1, 29, 0, 0, 0, 50),
      Date.UTC(2100, 1, 28, 23, 59, 59, 999),
      Date.UTC(2100, 2, 1),
      Date.UTC(2400, 1, 29),
      Date.UTC(2026, 10, 23, 9, 26, 53),
      253_402_300_799_999,
    ];
    for (const ms of edges) expect(isoTime(ms)).toBe(iso(ms));
  });

  it('agrees with toISOString on 200,000 random times from 1970 to 9999', () => {
    for (let i = 0; i < 200_000; i++) {
      const ms = Math.floor(Math.random() * 253_402_300_800_000);
      if (isoTime(ms) !== iso(ms)) expect(isoTime(ms)).toBe(iso(ms));
    }
  });

  it('leaves other times to Date: before 1970, after 9999, and fractions of a millisecond', () => {
    for (const ms of [-1, -86_400_001, 253_402_300_800_000, 1.5]) {
      expect(isoTime(ms)).toBe(iso(ms));
    }
  });
});
