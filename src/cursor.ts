/**
 * Keyset cursors: an opaque, base64url-encoded position (created_at, id) in one listing,
 * signed so that a client cannot make one up. The bytes are the time (6, big-endian), the id
 * (26, as text) and the first 12 bytes of an HMAC-SHA256 of the listing's name and those
 * bytes under the server secret: 59 characters. A cursor that is not exactly that, or whose
 * signature is not the server's for this listing, is refused with a 400.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isRowId } from './db/ids.js';
import { Invalid } from './errors.js';

export interface Position {
  createdAt: number;
  id: string;
}

/** Which listing a cursor belongs to: one listing's cursor means nothing in another. */
export type Listing = 'users' | 'api-keys' | 'roles';

const TIME_BYTES = 6;
const ID_BYTES = 26;
const TAG_BYTES = 12;
const CURSOR_BYTES = TIME_BYTES + ID_BYTES + TAG_BYTES;
const TIME_MAX = 2 ** (8 * TIME_BYTES) - 1;

function tag(secret: string, listing: Listing, position: Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(`cursor:${listing}:`)
    .update(position)
    .digest()
    .subarray(0, TAG_BYTES);
}

export function encodeCursor(secret: string, listing: Listing, position: Position): string {
  if (!Number.isSafeInteger(position.createdAt) || position.createdAt < 0) {
    throw new Error(`a cursor's time must be epoch milliseconds, not ${position.createdAt}`);
  }
  if (position.createdAt > TIME_MAX || !isRowId(position.id)) {
    throw new Error('a cursor holds a time before the year 10889 and a row id');
  }
  const bytes = Buffer.alloc(TIME_BYTES + ID_BYTES);
  bytes.writeUIntBE(position.createdAt, 0, TIME_BYTES);
  bytes.write(position.id, TIME_BYTES, 'latin1');
  return Buffer.concat([bytes, tag(secret, listing, bytes)]).toString('base64url');
}

export function decodeCursor(secret: string, listing: Listing, cursor: string): Position {
  const invalid = new Invalid('cursor is not a cursor this API issued', [
    { field: 'cursor', message: 'is malformed' },
  ]);
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid;
  const bytes = Buffer.from(cursor, 'base64url');
  // Only the one canonical spelling of the bytes: no padding bits set, nothing extra.
  if (bytes.length !== CURSOR_BYTES || bytes.toString('base64url') !== cursor) throw invalid;
  const position = bytes.subarray(0, TIME_BYTES + ID_BYTES);
  if (!timingSafeEqual(bytes.subarray(TIME_BYTES + ID_BYTES), tag(secret, listing, position))) {
    throw invalid;
  }
  const id = position.toString('latin1', TIME_BYTES);
  if (!isRowId(id)) throw invalid;
  return { createdAt: position.readUIntBE(0, TIME_BYTES), id };
}
