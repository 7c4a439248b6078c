/**
 * Cookie sessions of the web pages. The cookie holds 256 random bits; the database holds only
 * their SHA-256, so a copy of the database cannot be used to sign in. A session ends when idle
 * too long, at its absolute end, at sign-out, at a password change and when its user is deleted.
 */
import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.js';
import type { AccountRole } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';
import { sha256 } from '../auth/secrets.js';
import { deriveStatus, type CurrentStatus } from '../users/rules.js';
import { isSessionLive, needsTouch, SESSION_ABSOLUTE_MS } from './rules.js';
import * as store from './store.js';

export interface Session {
  /** SHA-256 of the cookie value. */
  id: string;
  accountId: string;
  accountName: string;
  userId: string;
  name: string;
  email: string;
  role: AccountRole;
  status: CurrentStatus;
  hasPassword: boolean;
  mustChangePassword: boolean;
  expiresAt: number;
}

export interface NewSession {
  accountId: string;
  userId: string;
  mustChangePassword: boolean;
}

/**
 * Starts a session inside the caller's transaction (so it exists only if the sign-in commits);
 * returns the cookie value, which is never stored.
 */
export async function startSession(trx: Trx, session: NewSession, now: number): Promise<string> {
  await store.deleteExpiredSessions(trx, now);
  const token = randomBytes(32).toString('base64url');
  await store.insertSession(trx, {
    id: sha256(token),
    account_id: session.accountId,
    user_id: session.userId,
    must_change_password: session.mustChangePassword ? 1 : 0,
    created_at: now,
    last_seen_at: now,
    expires_at: now + SESSION_ABSOLUTE_MS,
  });
  return token;
}

/** The live session behind a cookie value, or undefined; keeps an active session from idling out. */
export async function resumeSession(deps: Deps, token: string): Promise<Session | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const now = deps.clock();
  const row = await store.findSession(deps.db.kysely, sha256(token));
  if (!row) return undefined;
  if (!isSessionLive(row, now)) {
    await store.deleteSession(deps.db.kysely, row.id);
    return undefined;
  }
  if (needsTouch(row, now)) await store.touchSession(deps.db.kysely, row.id, now);
  return {
    id: row.id,
    accountId: row.account_id,
    accountName: row.account_name,
    userId: row.user_id,
    name: row.user_name,
    email: row.email,
    role: row.role,
    status: deriveStatus(row.state, row.invitation_expires_at, now),
    hasPassword: row.has_password === 1,
    mustChangePassword: row.must_change_password === 1,
    expiresAt: row.expires_at,
  };
}

export async function endSession(deps: Deps, sessionId: string): Promise<void> {
  await store.deleteSession(deps.db.kysely, sessionId);
}

export { endSessionsOfUser } from './store.js';
