/** API key use cases. A key belongs to one user and acts with that user's role. */
import { keyIsExpired, keyIsRevoked } from '../auth/token-rules.js';
import type { ApiKeysTable } from '../db/tables.js';
import { newId } from '../db/ids.js';
import type { Trx } from '../db/transaction.js';
import { generateApiKey } from '../auth/secrets.js';
import { insertKey } from './store.js';
import type { Deps } from '../deps.js';
import type { Actor } from '../auth/permissions.js';
import { inTransaction } from '../db/transaction.js';
import { Conflict, Forbidden, Invalid, NotFound, Unprocessable } from '../errors.js';
import type { Position } from '../cursor.js';
import { confirmCaller } from '../users/service.js';
import { checkText } from '../text.js';
import { lockUser } from '../users/store.js';
import * as store from './store.js';
import { recordAudit } from '../audit/record.js';
import { encodeId } from '../http/global-id.js';

export interface NewKey {
  accountId: string;
  userId: string;
  createdByUserId: string;
  name: string;
  description?: string | null;
  expiresAt?: number | null;
}

/** Stores a new key (its hash) and returns the row and the secret, which is shown once. */
export async function issueKey(
  trx: Trx,
  key: NewKey,
  now: number,
): Promise<{ row: ApiKeysTable; secret: string }> {
  // Checked by the callers (time.ts parses every date-time); this only keeps a bad value from
  // being stored, failing the whole transaction instead.
  if (key.expiresAt != null && !Number.isSafeInteger(key.expiresAt)) {
    throw new Error(`an expiry must be epoch milliseconds, not ${key.expiresAt}`);
  }
  const secret = generateApiKey();
  const row: ApiKeysTable = {
    id: newId(now),
    account_id: key.accountId,
    user_id: key.userId,
    created_by_user_id: key.createdByUserId,
    name: key.name,
    description: key.description ?? null,
    key_type: 'user',
    key_hash: secret.hash,
    redacted_key: secret.redacted,
    created_at: now,
    expires_at: key.expiresAt ?? null,
    revoked_at: null,
    last_used_at: null,
  };
  await insertKey(trx, row);
  return { row, secret: secret.key };
}

/** The most keys a user may hold that work (a refreshed key in its grace period counts). */
export const MAX_WORKING_KEYS = 100;

/**
 * Refuses a new key for a user who already holds MAX_WORKING_KEYS keys that work. The user's
 * row stays locked to the end of the transaction, so concurrent requests for new keys take
 * turns and each counts what the others committed.
 */
export async function checkRoomForKey(
  trx: Trx,
  accountId: string,
  userId: string,
  now: number,
): Promise<void> {
  await lockUser(trx, accountId, userId);
  if ((await store.countWorkingKeys(trx, accountId, userId, now)) >= MAX_WORKING_KEYS) {
    throw new Conflict(
      `A user may hold at most ${MAX_WORKING_KEYS} active API keys, and this one does; ` +
        'revoke one first',
    );
  }
}

// ---------------------------------------------------------------------------------------
// Use cases behind /v2/api-keys

export interface CreateKeyInput {
  keyType: 'user' | 'service';
  name: string;
  description?: string;
  expiresAt?: number;
}

export function checkKeyType(keyType: unknown): void {
  if (keyType !== 'user') throw new Invalid('Service keys are not supported; use key_type user');
}

export const KEY_NAME_MAX = 255;
export const KEY_DESCRIPTION_MAX = 1000;

/** A human-readable field of a key, checked by the text policy (text.ts), or a 400 naming it. */
function keyText(field: string, value: string, rules: Parameters<typeof checkText>[1]): string {
  const checked = checkText(value, rules);
  if ('problem' in checked) {
    throw new Invalid(`${field} ${checked.problem}`, [{ field, message: checked.problem }]);
  }
  return checked.text;
}

export async function createKey(deps: Deps, actor: Actor, input: CreateKeyInput) {
  checkKeyType(input.keyType);
  // The name is trimmed; the description is kept as given.
  const name = keyText('name', input.name, { max: KEY_NAME_MAX, trim: true });
  const description =
    input.description !== undefined
      ? keyText('description', input.description, {
          max: KEY_DESCRIPTION_MAX,
          trim: false,
          allowEmpty: true,
        })
      : null;
  const now = deps.clock();
  if (input.expiresAt !== undefined && input.expiresAt <= now) {
    throw new Invalid('expires_at must be in the future', [
      { field: 'expires_at', message: 'is in the past' },
    ]);
  }
  return inTransaction(deps.db, async (trx) => {
    await confirmCaller(trx, actor);
    await checkRoomForKey(trx, actor.accountId, actor.userId, now);
    const issued = await issueKey(
      trx,
      {
        accountId: actor.accountId,
        userId: actor.userId,
        createdByUserId: actor.userId,
        name,
        description,
        expiresAt: input.expiresAt ?? null,
      },
      now,
    );
    await recordAudit(trx, actor, {
      operation: 'createApiKey',
      at: now,
      target: { type: 'ApiKey', id: issued.row.id },
    });
    return issued;
  });
}

export interface ListKeysInput {
  status: 'active' | 'revoked';
  keyType?: string;
  userId?: string;
  limit: number;
  after?: Position;
}

export async function listKeys(deps: Deps, actor: Actor, input: ListKeysInput) {
  if (input.userId !== undefined && actor.role !== 'admin') {
    throw new Forbidden('Only admins may list the keys of another user');
  }
  // Service keys are not supported, so none ever match.
  if (input.keyType !== undefined && input.keyType !== 'user') return { keys: [] };
  const rows = await store.listKeys(deps.db.kysely, {
    accountId: actor.accountId,
    userId: input.userId ?? actor.userId,
    status: input.status,
    after: input.after,
    limit: input.limit,
    now: deps.clock(),
  });
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    keys: page,
    ...(rows.length > input.limit && last
      ? { next: { createdAt: last.created_at, id: last.id } }
      : {}),
  };
}

function keyNotFound(): NotFound {
  return new NotFound('No API key with this id that you may manage');
}

/**
 * A key of the caller's account that the caller created or owns, or that an admin manages;
 * locked for the rest of the transaction.
 */
async function findManagedKey(trx: Trx, actor: Actor, keyId: string) {
  const key = await store.findKeyForUpdate(trx, actor.accountId, keyId);
  if (!key) throw keyNotFound();
  const mine = key.user_id === actor.userId || key.created_by_user_id === actor.userId;
  if (!mine && actor.role !== 'admin') throw keyNotFound();
  return key;
}

export async function revokeKey(deps: Deps, actor: Actor, keyId: string): Promise<void> {
  await inTransaction(deps.db, async (trx) => {
    const key = await findManagedKey(trx, await confirmCaller(trx, actor), keyId);
    const now = deps.clock();
    if (keyIsRevoked(key, now)) return;
    await store.revokeKey(trx, actor.accountId, keyId, now);
    await recordAudit(trx, actor, {
      operation: 'revokeApiKey',
      at: now,
      target: { type: 'ApiKey', id: keyId },
    });
  });
  await deps.keys.settled();
}

export interface RefreshKeyInput {
  expiresAt?: number;
  gracePeriodSeconds?: number;
}

export async function refreshKey(deps: Deps, actor: Actor, keyId: string, input: RefreshKeyInput) {
  const refreshed = await inTransaction(deps.db, async (trx) => {
    const caller = await confirmCaller(trx, actor);
    const old = await findManagedKey(trx, caller, keyId);
    // Read once the row is locked: a refresh that waited for another sees it as already past.
    const now = deps.clock();
    if (keyIsRevoked(old, now))
      throw new Invalid('This API key is revoked and cannot be refreshed');
    if (keyIsExpired(old, now))
      throw new Invalid('This API key has expired and cannot be refreshed; create a new one');
    // Refreshed already, in its grace period: one refresh makes one replacement, however many
    // are asked for at once (the row is locked, so they take turns and see this).
    if (old.revoked_at !== null) {
      throw new Conflict(
        `This API key was refreshed already and stops working at ${new Date(old.revoked_at).toISOString()}; ` +
          'refresh its replacement instead',
      );
    }
    if (input.expiresAt !== undefined) {
      if (input.expiresAt <= now) {
        throw new Invalid('expires_at must be in the future', [
          { field: 'expires_at', message: 'is in the past' },
        ]);
      }
      if (old.expires_at !== null && input.expiresAt > old.expires_at) {
        throw new Unprocessable("expires_at may not be later than the old key's expiry");
      }
    }
    await store.revokeKey(
      trx,
      actor.accountId,
      keyId,
      now + (input.gracePeriodSeconds ?? 0) * 1000,
    );
    // With a grace period the old key keeps working a while: the replacement must have room.
    if ((input.gracePeriodSeconds ?? 0) > 0) {
      await checkRoomForKey(trx, old.account_id, old.user_id, now);
    }
    const issued = await issueKey(
      trx,
      {
        accountId: old.account_id,
        userId: old.user_id,
        createdByUserId: actor.userId,
        name: old.name,
        description: old.description,
        expiresAt: input.expiresAt ?? old.expires_at,
      },
      now,
    );
    await recordAudit(trx, actor, {
      operation: 'refreshApiKey',
      at: now,
      target: { type: 'ApiKey', id: keyId },
      changes: {
        before: { api_key_id: encodeId('ApiKey', keyId) },
        after: { api_key_id: encodeId('ApiKey', issued.row.id) },
      },
    });
    return issued;
  });
  await deps.keys.settled();
  return refreshed;
}
