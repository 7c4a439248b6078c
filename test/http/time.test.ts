import { describe, expect, it } from 'vitest';
import { isoTime, parseDateTime, readDateTime } from '../../src/http/time.js';
import { Invalid } from '../../src/errors.js';

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

describe('readDateTime: the one reader of every date-time a client sends', () => {
  it.each([
    ['UTC with Z', '2027-01-31T12:00:00Z', Date.UTC(2027, 0, 31, 12)],
    ['lower-case t and z', '2027-01-31t12:00:00z', Date.UTC(2027, 0, 31, 12)],
    ['milliseconds', '2027-01-31T12:00:00.123Z', Date.UTC(2027, 0, 31, 12, 0, 0, 123)],
    ['one fraction digit', '2027-01-31T12:00:00.5Z', Date.UTC(2027, 0, 31, 12, 0, 0, 500)],
    [
      'nanoseconds, dropped past the ms',
      '2027-01-31T12:00:00.123456789Z',
      Date.UTC(2027, 0, 31, 12, 0, 0, 123),
    ],
    ['a positive offset', '2027-01-31T12:00:00+02:00', Date.UTC(2027, 0, 31, 10)],
    ['a negative offset', '2027-01-31T12:00:00-05:30', Date.UTC(2027, 0, 31, 17, 30)],
    ['29 February of a leap year', '2028-02-29T00:00:00Z', Date.UTC(2028, 1, 29)],
    ['29 February 2000', '2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['the last millisecond of 9999', '9999-12-31T23:59:59.999Z', 253_402_300_799_999],
    ['year 0000', '0000-01-01T00:00:00Z', -62_167_219_200_000],
    ['a year under 100 (not 19xx)', '0099-06-01T00:00:00Z', -59_029_948_800_000],
    ['23:59:59', '2026-12-31T23:59:59Z', Date.UTC(2026, 11, 31, 23, 59, 59)],
  ])('reads %s', (_case, text, ms) => {
    expect(readDateTime(text)).toEqual({ ms });
    expect(new Date(ms).toISOString()).toBe(isoTime(ms));
  });

  it.each([
    ['a leap second', '2026-12-31T23:59:60Z', /leap second/],
    ['a leap second with an offset', '2027-01-01T00:59:60+01:00', /leap second/],
    ['30 February', '2027-02-30T00:00:00Z', /exists/],
    ['29 February of a common year', '2027-02-29T00:00:00Z', /exists/],
    ['29 February 1900', '1900-02-29T00:00:00Z', /exists/],
    ['31 April', '2027-04-31T00:00:00Z', /exists/],
    ['month 13', '2027-13-01T00:00:00Z', /exists/],
    ['month 00', '2027-00-01T00:00:00Z', /exists/],
    ['day 00', '2027-01-00T00:00:00Z', /exists/],
    ['hour 24', '2027-01-01T24:00:00Z', /time of day/],
    ['minute 60', '2027-01-01T12:60:00Z', /time of day/],
    ['second 61', '2027-01-01T12:00:61Z', /time of day/],
    ['an offset of 24 hours', '2027-01-01T12:00:00+24:00', /offset/],
    ['past 9999 in UTC', '9999-12-31T23:59:59-00:01', /0000 and 9999/],
    ['before 0000 in UTC', '0000-01-01T00:00:00+00:01', /0000 and 9999/],
    ['a five-digit year', '10000-01-01T00:00:00Z', /RFC 3339/],
    ['a signed year', '+002027-01-01T00:00:00Z', /RFC 3339/],
    ['no offset', '2027-01-01T12:00:00', /RFC 3339/],
    ['a date alone', '2027-01-01', /RFC 3339/],
    ['an offset without a colon', '2027-01-01T12:00:00+0200', /RFC 3339/],
    ['a space for T', '2027-01-01 12:00:00Z', /RFC 3339/],
    ['no seconds', '2027-01-01T12:00Z', /RFC 3339/],
    ['ten fraction digits', '2027-01-01T12:00:00.0000000001Z', /RFC 3339/],
    ['non-ASCII digits', '２０２７-01-01T12:00:00Z', /RFC 3339/],
    ['text after it', '2027-01-01T12:00:00Z junk', /RFC 3339/],
    ['a trailing line feed', '2027-01-01T12:00:00Z\n', /RFC 3339/],
    ['what Date.parse reads but RFC 3339 does not', 'Jan 1 2027', /RFC 3339/],
    ['empty', '', /RFC 3339/],
  ])('refuses %s', (_case, text, problem) => {
    const read = readDateTime(text);
    expect(read).toEqual({ problem: expect.stringMatching(problem) });
  });

  it('parseDateTime answers a 400 that names the field', () => {
    expect(parseDateTime('2027-01-31T12:00:00Z', 'expires_at')).toBe(Date.UTC(2027, 0, 31, 12));
    let caught: unknown;
    try {
      parseDateTime('2026-12-31T23:59:60Z', 'expires_at');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Invalid);
    expect((caught as Invalid).errors).toEqual([
      { field: 'expires_at', message: expect.stringMatching(/leap second/) },
    ]);
  });
});
