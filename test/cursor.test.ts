import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/cursor.js';
import { newId } from '../src/db/ids.js';
import { Invalid } from '../src/errors.js';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors', () => {
  it('decode what they encode, and are opaque url-safe text', () => {
    const position = { createdAt: Date.parse('2026-11-22T10:00:00.000Z'), id: newId() };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it('a malformed cursor is a 400 naming the cursor', () => {
    const id = newId();
    const malformed = [
      '',
      'not a cursor',
      'abc$',
      'W10=',
      b64url([1, id]).repeat(5),
      Buffer.from('not json').toString('base64url'),
      b64url({ createdAt: 1, id }),
      b64url([]),
      b64url([1]),
      b64url([1, id, 3]),
      b64url(['1', id]),
      b64url([-1, id]),
      b64url([1.5, id]),
      b64url([Number.MAX_SAFE_INTEGER + 2, id]),
      b64url([1, 2]),
      b64url([1, 'short']),
      b64url([1, id.toLowerCase()]),
      b64url([1, `${id.slice(0, 25)}U`]),
      'x'.repeat(201),
    ];
    for (const cursor of malformed) {
      let caught: unknown;
      try {
        decodeCursor(cursor);
      } catch (error) {
        caught = error;
      }
      expect(caught, cursor).toBeInstanceOf(Invalid);
      expect((caught as Invalid).errors).toEqual([{ field: 'cursor', message: 'is malformed' }]);
    }
  });
});
