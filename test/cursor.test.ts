import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { decodeCursor, encodeCursor } from '../src/cursor.js';
import { newId } from '../src/db/ids.js';
import { Invalid } from '../src/errors.js';

const SECRET = 'a server secret for cursors';
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function refused(cursor: string, secret = SECRET, listing: 'users' | 'api-keys' = 'users') {
  let caught: unknown;
  try {
    decodeCursor(secret, listing, cursor);
  } catch (error) {
    caught = error;
  }
  expect(caught, cursor).toBeInstanceOf(Invalid);
  expect((caught as Invalid).errors).toEqual([{ field: 'cursor', message: 'is malformed' }]);
}

describe('cursors', () => {
  it('decode what they encode, and are short, opaque url-safe text', () => {
    for (const createdAt of [0, 1, Date.parse('2026-11-22T10:00:00.000Z'), 253_402_300_799_999]) {
      const position = { createdAt, id: newId() };
      const cursor = encodeCursor(SECRET, 'users', position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]{59}$/);
      expect(decodeCursor(SECRET, 'users', cursor)).toEqual(position);
    }
  });

  it('a malformed cursor is a 400 naming the cursor', () => {
    const id = newId();
    const malformed = [
      '',
      'not a cursor',
      'abc$',
      'W10=',
      b64url([1, id]),
      b64url([1, id]).repeat(5),
      Buffer.from('not json').toString('base64url'),
      b64url({ createdAt: 1, id }),
      'x'.repeat(201),
      'A'.repeat(59),
    ];
    for (const cursor of malformed) refused(cursor);
  });

  it('is tamper-evident: a made-up or altered cursor of the right shape is refused', () => {
    const position = { createdAt: Date.parse('2026-11-22T10:00:00.000Z'), id: newId() };
    const cursor = encodeCursor(SECRET, 'users', position);
    // Every single-character change, including the signature's own characters.
    for (let i = 0; i < cursor.length; i++) {
      const swapped = cursor[i] === 'A' ? 'B' : 'A';
      refused(cursor.slice(0, i) + swapped + cursor.slice(i + 1));
    }
    // The right bytes with a signature under another secret, or for another listing.
    refused(encodeCursor('another secret', 'users', position));
    refused(cursor, SECRET, 'api-keys');
    // A position made up by hand, signed with a guess.
    const bytes = Buffer.alloc(32);
    bytes.writeUIntBE(0, 0, 6);
    bytes.write(position.id, 6, 'latin1');
    const guess = createHmac('sha256', '').update(bytes).digest().subarray(0, 12);
    refused(Buffer.concat([bytes, guess]).toString('base64url'));
  });

  it('only a time since 1970 and a row id can be made a cursor', () => {
    expect(() => encodeCursor(SECRET, 'users', { createdAt: 1, id: 'short' })).toThrow();
    expect(() => encodeCursor(SECRET, 'users', { createdAt: -1, id: newId() })).toThrow();
    expect(() => encodeCursor(SECRET, 'users', { createdAt: 1.5, id: newId() })).toThrow();
  });
});
