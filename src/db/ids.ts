import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Random bytes drawn from the system 4 KiB at a time (as Node's randomUUID does), each used
 * once: one call to the system per 409 ids rather than one per id.
 */
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;

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
  if (randomOffset + 10 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  let bits = 0;
  let value = 0;
  for (let i = randomOffset; i < randomOffset + 10; i++) {
    value = (value << 8) | randomPool[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += CROCKFORD[(value >> bits) & 31];
    }
  }
  randomOffset += 10;
  return out;
}

const ROW_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Whether `value` has the shape of an id newId makes. */
export function isRowId(value: string): boolean {
  return ROW_ID.test(value);
}
