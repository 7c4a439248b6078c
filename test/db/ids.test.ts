/** Row ids (src/db/ids.ts): ULIDs, ordered by time, never the same twice. */
import { expect, it } from 'vitest';
import { isRowId, newId } from '../../src/db/ids.js';

it('makes distinct, well-formed ids within one millisecond, across many draws of randomness', () => {
  const now = Date.UTC(2026, 11, 7);
  // 5,000 ids take their random bits from several fills of the pool.
  const ids = Array.from({ length: 5000 }, () => newId(now));
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.every(isRowId)).toBe(true);
  expect(new Set(ids.map((id) => id.slice(0, 10))).size).toBe(1);
});

it('orders ids by their time', () => {
  const earlier = newId(Date.UTC(2026, 0, 1));
  const later = newId(Date.UTC(2026, 0, 1) + 1);
  expect(earlier < later).toBe(true);
});
