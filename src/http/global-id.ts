/**
 * Opaque global ids: base64 of "<Type>:<internal id>", as the Arize API spells them.
 * An id that does not decode, or decodes to another type, is simply unknown.
 */
import { isRowId } from '../db/ids.js';

export type IdType = 'User' | 'ApiKey' | 'Account' | 'Role';

export function encodeId(type: IdType, internalId: string): string {
  return Buffer.from(`${type}:${internalId}`, 'utf8').toString('base64');
}

export function decodeId(type: IdType, globalId: string): string | undefined {
  if (globalId.length > 100 || !/^[A-Za-z0-9+/]+={0,2}$/.test(globalId)) return undefined;
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  const prefix = `${type}:`;
  if (!decoded.startsWith(prefix)) return undefined;
  const internalId = decoded.slice(prefix.length);
  return isRowId(internalId) ? internalId : undefined;
}
