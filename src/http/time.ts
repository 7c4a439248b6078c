/**
 * Times on the wire. Read: RFC 3339, through readDateTime alone (below). Written: ISO 8601 in
 * UTC with milliseconds, exactly as `Date.prototype.toISOString` writes them. Every user and key in a response carries one, and a list page fifty; building
 * them from the epoch milliseconds with integer arithmetic takes about a third of the time of
 * a Date and its toISOString. Days to a civil date is Howard Hinnant's algorithm
 * (https://howardhinnant.github.io/date_algorithms.html#civil_from_days).
 */

import { Invalid } from '../errors.js';

const DAY_MS = 86_400_000;
/** 9999-12-31T23:59:59.999Z: the last time with a four-digit year. */
const LAST_FOUR_DIGIT_YEAR_MS = 253_402_300_799_999;

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_YEAR_MS) {
    return new Date(ms).toISOString();
  }
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  // Days since 0000-03-01, in 400-year eras of 146,097 days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // March is 0
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${year}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(seconds)}.${three(millis)}Z`;
}

// ---------------------------------------------------------------------------------------
// Reading times: every date-time a client sends goes through readDateTime.

/** 0000-01-01T00:00:00.000Z: the first time with a four-digit year. */
const FIRST_FOUR_DIGIT_YEAR_MS = -62_167_219_200_000;

// RFC 3339 `date-time`: full-date "T" full-time, with a Z or a ±hh:mm offset.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const daysInMonth = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * An RFC 3339 date-time as epoch milliseconds, or why it is refused: not that syntax, a date
 * that does not exist (February 30), second 60 (a leap second: neither JavaScript nor the
 * databases can hold one), or a time outside the years 0000-9999 once in UTC (what the wire
 * format can write back). Digits past the millisecond are dropped.
 */
export function readDateTime(text: string): { ms: number } | { problem: string } {
  const m = RFC3339.exec(text);
  if (!m) return { problem: 'must be an RFC 3339 date-time such as 2027-01-31T12:00:00Z' };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { problem: 'is not a date that exists' };
  }
  if (second === 60) {
    return { problem: 'is a leap second (second 60), which cannot be stored; use :59' };
  }
  if (hour > 23 || minute > 59 || second > 59) return { problem: 'is not a time of day' };
  const offsetHours = m[9] ? Number(m[10]) : 0;
  const offsetMinutes = m[9] ? Number(m[11]) : 0;
  if (offsetHours > 23 || offsetMinutes > 59) return { problem: 'has an offset that is not one' };
  const offsetMs = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const ms = date.getTime() - offsetMs;
  if (!(ms >= FIRST_FOUR_DIGIT_YEAR_MS && ms <= LAST_FOUR_DIGIT_YEAR_MS)) {
    return { problem: 'must be between the years 0000 and 9999 in UTC' };
  }
  return { ms };
}

/** Whether the text is a date-time readDateTime accepts (the `date-time` format of requests). */
export function isDateTime(text: string): boolean {
  return 'ms' in readDateTime(text);
}

/** The date-time in a request field as epoch milliseconds, or a 400 naming the field. */
export function parseDateTime(text: string, field: string): number {
  const read = readDateTime(text);
  if ('problem' in read) {
    throw new Invalid(`${field} ${read.problem}`, [{ field, message: read.problem }]);
  }
  return read.ms;
}
