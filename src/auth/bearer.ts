/**
 * Bearer API-key authentication. Keys are high-entropy, so SHA-256 is the right hash:
 * one hash and at most one indexed lookup per request. On SQLite the lookup's answer is kept
 * while the database has not changed at all (see findOwner), so revocation, deletion and
 * `is_developer: false` still take effect at once in every process.
 */
import type { Deps } from '../deps.js';
import { findKeyOwner, touchKey, type KeyOwner } from '../api-keys/store.js';
import { precompiledCall } from '../db/precompiled.js';
import { Forbidden, Unauthorized } from '../http/problem.js';
import type { Actor } from './permissions.js';
import { sha256 } from './secrets.js';

export interface KeyActor extends Actor {
  apiKeyId: string;
}

/** The lookup runs on every request: compiled once (see db/precompiled.ts). */
const keyOwner = precompiledCall<{ keyHash: string }, KeyOwner>(['keyHash'], (db, { keyHash }) =>
  findKeyOwner(db, keyHash),
);

const KEY_CACHE_SIZE = 10_000;
const keyCaches = new WeakMap<Deps['db'], Map<string, { owner: KeyOwner; stamp: number }>>();

/**
 * The key with this hash and its owner. On SQLite an answer is reused while the database's
 * change counter has not moved since it was read: any write by this process and any commit
 * by another (the CLI, a second server) moves it, so nothing a change could affect is ever
 * served from before the change. PostgreSQL has no such counter: every request reads.
 */
async function findOwner(deps: Deps, keyHash: string): Promise<KeyOwner | undefined> {
  const changeCounter = deps.db.changeCounter;
  if (!changeCounter) return keyOwner.first(deps.db.kysely, { keyHash });
  let cache = keyCaches.get(deps.db);
  if (!cache) keyCaches.set(deps.db, (cache = new Map()));
  const stamp = changeCounter();
  const cached = cache.get(keyHash);
  if (cached?.stamp === stamp) return cached.owner;
  const owner = await keyOwner.first(deps.db.kysely, { keyHash });
  // Kept only if nothing changed while it was being read.
  if (owner && changeCounter() === stamp) {
    if (cache.size >= KEY_CACHE_SIZE) cache.clear();
    cache.set(keyHash, { owner, stamp });
  }
  return owner;
}

/** `last_used_at` is written at most this often per key, so reads stay reads. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function bearerKey(authorization: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9_\-.~+/]{8,200}=*)$/.exec(authorization ?? '');
  return match?.[1];
}

export async function authenticate(
  deps: Deps,
  authorization: string | undefined,
): Promise<KeyActor> {
  if (!authorization) {
    throw new Unauthorized('Missing Authorization header; send Authorization: Bearer <api key>');
  }
  const key = bearerKey(authorization);
  if (!key) throw new Unauthorized('Malformed Authorization header; expected Bearer <api key>');
  const owner = await findOwner(deps, sha256(key));
  const now = deps.clock();
  if (!owner) throw new Unauthorized('Unknown API key');
  if (owner.revoked_at !== null && owner.revoked_at <= now)
    throw new Unauthorized('This API key was revoked');
  if (owner.expires_at !== null && owner.expires_at <= now)
    throw new Unauthorized('This API key has expired');
  if (owner.state !== 'active')
    throw new Forbidden('The owner of this API key is no longer active');
  if (owner.is_developer !== 1) {
    throw new Forbidden('The owner of this API key is not a developer and may not use the API');
  }
  if (owner.last_used_at === null || now - owner.last_used_at >= LAST_USED_RESOLUTION_MS) {
    await touchKey(deps.db.kysely, owner.key_id, now);
  }
  return {
    accountId: owner.account_id,
    userId: owner.user_id,
    role: owner.role,
    apiKeyId: owner.key_id,
  };
}
