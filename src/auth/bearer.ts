/**
 * Bearer API-key authentication. Keys are high-entropy, so SHA-256 is the right hash:
 * one hash and at most one indexed lookup per request, through the key cache (key-cache.ts).
 */
import { keyIsExpired, keyIsRevoked } from './token-rules.js';
import type { Deps } from '../deps.js';
import { touchKey } from '../api-keys/store.js';
import { Forbidden, Unauthorized } from '../errors.js';
import type { Actor } from './permissions.js';
import { enforcedOf } from '../roles/rules.js';
import { sha256 } from './secrets.js';

export interface KeyActor extends Actor {
  apiKeyId: string;
}

/** `last_used_at` is written at most this often per key, so reads stay reads. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function bearerKey(authorization: string | undefined): string | undefined {
  // The scheme is case-insensitive, and may be followed by more than one space (RFC 9110 11.1).
  const match = /^bearer +([A-Za-z0-9_\-.~+/]{8,200}=*)$/i.exec(authorization ?? '');
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
  const keyHash = sha256(key);
  const owner = await deps.keys.lookup(keyHash);
  const now = deps.clock();
  if (!owner) throw new Unauthorized('Unknown API key');
  if (keyIsRevoked(owner, now)) throw new Unauthorized('This API key was revoked');
  if (keyIsExpired(owner, now)) throw new Unauthorized('This API key has expired');
  if (owner.state !== 'active')
    throw new Forbidden('The owner of this API key is no longer active');
  if (owner.is_developer !== 1) {
    throw new Forbidden('The owner of this API key is not a developer and may not use the API');
  }
  if (owner.last_used_at === null || now - owner.last_used_at >= LAST_USED_RESOLUTION_MS) {
    await touchKey(deps.db.kysely, owner.key_id, now);
    deps.keys.touched(keyHash, now);
  }
  return {
    accountId: owner.account_id,
    userId: owner.user_id,
    role: owner.role,
    ...(owner.custom_permissions !== null
      ? { customPermissions: enforcedOf(JSON.parse(owner.custom_permissions) as string[]) }
      : {}),
    apiKeyId: owner.key_id,
  };
}
