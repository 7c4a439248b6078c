/**
 * When a link (an invitation or password-reset token) or an API key still works: each rule
 * once, as a function of a row in hand and as the same condition in SQL for queries.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';

/** A column, of `table` when given (a query that joins names its tables). */
const column = (table: string | undefined, name: string) =>
  sql.ref(table ? `${table}.${name}` : name);

// ---------------------------------------------------------------------------------------
// Links

export interface LinkTimes {
  consumed_at: number | null;
  revoked_at: number | null;
  expires_at: number;
}

/** Why a link no longer works, or undefined while it does. */
export function linkEnded(
  link: LinkTimes,
  now: number,
): 'used' | 'replaced' | 'expired' | undefined {
  if (link.consumed_at !== null) return 'used';
  if (link.revoked_at !== null) return 'replaced';
  if (link.expires_at <= now) return 'expired';
  return undefined;
}

export const linkIsLive = (link: LinkTimes, now: number) => linkEnded(link, now) === undefined;

/** SQL: the link was neither used nor replaced (it may have expired: status tells expired). */
export function linkNotEnded(table?: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${column(table, 'consumed_at')} is null and ${column(table, 'revoked_at')} is null)`;
}

/** SQL: linkIsLive. */
export function linkLive(now: number, table?: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${linkNotEnded(table)} and ${column(table, 'expires_at')} > ${now})`;
}

// ---------------------------------------------------------------------------------------
// API keys

export interface KeyTimes {
  revoked_at: number | null;
  expires_at: number | null;
}

/** A revocation takes effect at its time: a refreshed key's grace period ends then. */
export const keyIsRevoked = (key: KeyTimes, now: number) =>
  key.revoked_at !== null && key.revoked_at <= now;

export const keyIsExpired = (key: KeyTimes, now: number) =>
  key.expires_at !== null && key.expires_at <= now;

/** SQL: keyIsRevoked, or its negation. */
export function keyRevoked(now: number, revoked = true): RawBuilder<SqlBool> {
  return revoked
    ? sql<SqlBool>`(revoked_at is not null and revoked_at <= ${now})`
    : sql<SqlBool>`(revoked_at is null or revoked_at > ${now})`;
}

/** SQL: keyIsExpired, or its negation. */
export function keyExpired(now: number, expired = true): RawBuilder<SqlBool> {
  return expired
    ? sql<SqlBool>`(expires_at is not null and expires_at <= ${now})`
    : sql<SqlBool>`(expires_at is null or expires_at > ${now})`;
}

/**
 * When a key that works stops working: at its expiry, or at the end of its grace period after a
 * refresh when that comes first; null when neither is set.
 */
export function keyEndsAt(key: KeyTimes): number | null {
  if (key.revoked_at === null) return key.expires_at;
  if (key.expires_at === null) return key.revoked_at;
  return Math.min(key.revoked_at, key.expires_at);
}
