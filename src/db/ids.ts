import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A new row id: 48 bits of time then 80 random bits, in Crockford base32 (a ULID).
 * Time-ordered so inserts stay at the end of indexes; random so ids reveal no counts.
 */
export function newId(now: number = Date.now()): string {
  let out = '';
  let time = now;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[time % 32] + out;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(10);
  let bits = 0;
  let value = 0;
  for (const byte of random) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(value >> bits) & 31];
    }
  }
  return out;
}

const ROW_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Whether `value` has the shape of an id newId makes. */
export function isRowId(value: string): boolean {
  return ROW_ID.test(value);
}
