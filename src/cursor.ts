/**
 * Keyset cursors: an opaque, base64url-encoded position (created_at, id) in a listing.
 * A cursor that does not decode to exactly that shape is refused with a 400.
 */
import { isRowId } from './db/ids.js';
import { Invalid } from './errors.js';

export interface Position {
  createdAt: number;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString(
    'base64url',
  );
}

export function decodeCursor(cursor: string): Position {
  const invalid = new Invalid('cursor is not a cursor this API issued', [
    { field: 'cursor', message: 'is malformed' },
  ]);
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !Number.isSafeInteger(value[0]) ||
    value[0] < 0 ||
    typeof value[1] !== 'string' ||
    !isRowId(value[1])
  ) {
    throw invalid;
  }
  return { createdAt: value[0] as number, id: value[1] as string };
}
