/**
 * The signed-in person's own API keys, for /account. Every change goes through the use cases
 * behind /v2/api-keys (api-keys/service.ts), with the session's user as the caller: the same
 * rules (a developer only, 100 working keys at most, one's own keys only, one transaction that
 * re-checks the caller) whichever door a key is made through.
 */
import type { Actor } from '../auth/permissions.js';
import type { ApiKeysTable } from '../db/tables.js';
import type { Deps } from '../deps.js';
import { NotFound } from '../errors.js';
import { decodeId } from '../http/global-id.js';
import * as keys from '../api-keys/service.js';
import type { Session } from '../sessions/service.js';
import { findStanding } from '../users/store.js';

/** Keys the page lists at most; a person may hold 100 that work. */
const LISTED_KEYS = 100;

export type OwnKeys =
  { kind: 'developer'; keys: ApiKeysTable[]; more: boolean } | { kind: 'not-developer' };

export function actorOf(session: Session): Actor {
  return { accountId: session.accountId, userId: session.userId, role: session.role };
}

/** The person's working keys, newest last, or that the person may not hold any. */
export async function ownKeys(deps: Deps, session: Session): Promise<OwnKeys> {
  const standing = await findStanding(deps.db.kysely, session.accountId, session.userId);
  if (standing?.is_developer !== 1) return { kind: 'not-developer' };
  const page = await keys.listKeys(deps, actorOf(session), {
    status: 'active',
    limit: LISTED_KEYS,
  });
  return { kind: 'developer', keys: page.keys, more: page.next !== undefined };
}

export function createOwnKey(
  deps: Deps,
  session: Session,
  input: { name: string; description: string; expiresAt: number | undefined },
) {
  return keys.createKey(deps, actorOf(session), {
    keyType: 'user',
    name: input.name,
    // An empty box is no description.
    description: input.description === '' ? undefined : input.description,
    expiresAt: input.expiresAt,
  });
}

/** A key id as the page carries it (the API's global id). */
function keyId(globalId: string): string {
  const id = decodeId('ApiKey', globalId);
  if (!id) throw new NotFound('No API key with this id that you may manage');
  return id;
}

/** A new secret for one of the person's keys; the old one stops working at once. */
export function refreshOwnKey(deps: Deps, session: Session, globalId: string) {
  return keys.refreshKey(deps, actorOf(session), keyId(globalId), {});
}

export function revokeOwnKey(deps: Deps, session: Session, globalId: string): Promise<void> {
  return keys.revokeKey(deps, actorOf(session), keyId(globalId));
}
