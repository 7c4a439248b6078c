/**
 * Signing in through an account's OpenID Connect provider. Two steps: start (the person's
 * email leads to the account whose provider covers it; the browser is sent there) and finish
 * (the provider sends the browser back with a code; the ID token it yields names the person).
 * A provider's word never creates a user: it only opens the account of an existing one.
 */
import { randomState } from 'openid-client';
import type { Deps } from '../deps.js';
import { sha256 } from '../auth/secrets.js';
import { inTransaction } from '../db/transaction.js';
import type { Origin } from '../audit/origin.js';
import { recordAudit } from '../audit/record.js';
import { holdAccount } from '../accounts/store.js';
import { deleteSession } from '../sessions/store.js';
import { startSession } from '../sessions/service.js';
import { deviceCookieFor } from '../self-service/device.js';
import {
  IP_LIMIT,
  THROTTLE_WINDOW_MS,
  emailThrottleKey,
  throttleDelayMs,
} from '../self-service/rules.js';
import { clearFailures, recentFailures, recordFailures } from '../self-service/store.js';
import { deriveStatus, emailProblem, normalizeEmail } from '../users/rules.js';
import { findUserByEmail, lockUser } from '../users/store.js';
import { isStorableText } from '../text.js';
import { openClientSecret } from './client-secret.js';
import {
  authorizationUrl,
  failureReason,
  relyingParty,
  verifiedClaims,
  type RelyingParty,
} from './provider.js';
import { identityRefusal, isStateShaped, loginSecrets, SSO_LOGIN_TTL_MS } from './rules.js';
import * as store from './store.js';

// ---------------------------------------------------------------------------------------
// Start

export type SsoStart =
  | { kind: 'redirect'; url: string; state: string; accountName: string }
  | { kind: 'choose-account'; accounts: Array<{ id: string; name: string }> }
  | { kind: 'unknown' }
  | { kind: 'throttled'; retryAfterMs: number }
  | { kind: 'unavailable'; accountName: string };

export interface SsoStartInput {
  email: string;
  /** The account the page names or the person chose, if any. */
  accountId: string | undefined;
  ip: string;
}

/** The account's relying party, or undefined when its sealed client secret cannot be opened. */
async function partyOf(deps: Deps, accountId: string): Promise<RelyingParty | undefined> {
  const provider = await store.findProvider(deps.db.kysely, accountId);
  if (!provider) return undefined;
  const secret = openClientSecret(deps.serverSecret, accountId, provider.client_secret_sealed);
  if (secret === undefined) return undefined;
  return relyingParty(provider, secret, deps.config.publicUrl, deps.clock());
}

/**
 * Finds the account(s) whose provider covers this email: each account with a provider in
 * which the email is a user who is not deleted. One: the browser goes to its provider. Several:
 * the person chooses. None: refused, and the attempt counts against the client's address, so
 * the form cannot be used to list who is where.
 */
export async function startSsoSignIn(deps: Deps, input: SsoStartInput): Promise<SsoStart> {
  const email = input.email.trim();
  const now = deps.clock();
  const ipKey = `ip:${input.ip}`;
  const recent = await recentFailures(deps.db.kysely, ipKey, now - THROTTLE_WINDOW_MS, IP_LIMIT);
  const retryAfterMs = throttleDelayMs(recent, IP_LIMIT, now);
  if (retryAfterMs > 0) return { kind: 'throttled', retryAfterMs };

  const accounts =
    email.length <= 320 && isStorableText(email) && !emailProblem(email)
      ? await store.findSsoAccountsOfEmail(deps.db.kysely, normalizeEmail(email), input.accountId)
      : [];
  const only = accounts[0];
  if (!only) {
    await recordFailures(deps.db.kysely, [ipKey], now);
    return { kind: 'unknown' };
  }
  if (accounts.length > 1) {
    return {
      kind: 'choose-account',
      accounts: accounts.map((a) => ({ id: a.account_id, name: a.account_name })),
    };
  }

  const party = await partyOf(deps, only.account_id);
  if (!party) return { kind: 'unavailable', accountName: only.account_name };
  const state = randomState();
  await inTransaction(deps.db, (trx) =>
    store.insertLogin(trx, {
      id: sha256(state),
      account_id: only.account_id,
      created_at: now,
      expires_at: now + SSO_LOGIN_TTL_MS,
      consumed_at: null,
    }),
  );
  const url = await authorizationUrl(party, {
    state,
    ...loginSecrets(deps.serverSecret, state),
    loginHint: email,
  });
  return { kind: 'redirect', url, state, accountName: only.account_name };
}

// ---------------------------------------------------------------------------------------
// Finish

/** Why a sign-in through the provider was refused; each has its own page. */
export type SsoRefusalReason =
  /** The state is missing, not this browser's, already used, or expired. */
  | 'state'
  /** The provider said no (the person cancelled, or it refused them). */
  | 'provider-error'
  /** The provider's answer failed a check: signature, iss, aud, exp, nonce, code. */
  | 'not-verified'
  /** The provider could not be reached to finish. */
  | 'provider-unreachable'
  | 'email-missing'
  | 'email-unverified'
  /** No user of the account has the email (or the user was deleted). */
  | 'no-user'
  | 'invitation-expired'
  /** The account's provider was removed (or its secret cannot be read) meanwhile. */
  | 'no-provider';

export type SsoRefused = {
  kind: 'refused';
  reason: SsoRefusalReason;
  /** For the log only: what exactly failed. Never shown, never a secret. */
  detail: string;
  accountName?: string;
};

export type SsoSignedIn = {
  kind: 'signed-in';
  sessionToken: string;
  accountId: string;
  userId: string;
  mustChangePassword: false;
  deviceCookie: string;
  /** The person was invited and this sign-in finished the invitation. */
  finishedInvitation: boolean;
};

export interface SsoFinishInput {
  /** The callback's query string as received (code, state, iss, or error). */
  query: string;
  /** The state this browser was given when it set off (its cookie), if any. */
  browserState: string | undefined;
  previousSessionId: string | undefined;
  /** The callback request, for the sign-in's audit entry. */
  origin: Origin;
}

function refused(reason: SsoRefusalReason, detail: string, accountName?: string): SsoRefused {
  return { kind: 'refused', reason, detail, accountName };
}

/** Which refusal a failed exchange is: the provider said no, was unreachable, or failed a check. */
function exchangeRefusal(error: unknown): SsoRefusalReason {
  const name = (error as { name?: string }).name;
  if (name === 'AuthorizationResponseError') return 'provider-error';
  // fetch's own failure (no connection, DNS, TLS) or the request timing out.
  const network = error instanceof TypeError && error.message === 'fetch failed';
  if (network || name === 'TimeoutError' || name === 'AbortError') return 'provider-unreachable';
  return 'not-verified';
}

class Refusal extends Error {
  constructor(readonly refusal: SsoRefused) {
    super(refusal.detail);
  }
}

/**
 * Finishes a sign-in: the state must be this browser's and unused (it is used up now, whatever
 * follows); openid-client exchanges the code and checks the ID token; the provider must vouch
 * for the email (email_verified true); the email must be a user of the account, not deleted.
 * Then, in one transaction, a pending invitee's invitation is finished (its link or temporary
 * password dies) and the same session as a password sign-in starts.
 */
export async function finishSsoSignIn(
  deps: Deps,
  input: SsoFinishInput,
): Promise<SsoSignedIn | SsoRefused> {
  const state = new URLSearchParams(input.query).get('state') ?? '';
  if (!isStateShaped(state)) return refused('state', 'the callback carries no state Roster made');
  if (state !== input.browserState) {
    return refused('state', 'the state is not the one this browser set off with');
  }
  const login = await inTransaction(deps.db, (trx) =>
    store.consumeLogin(trx, sha256(state), deps.clock()),
  );
  if (!login) return refused('state', 'the state was used already, or expired');
  const accountId = login.account_id;
  const accountName = (
    await deps.db.kysely
      .selectFrom('accounts')
      .select('name')
      .where('id', '=', accountId)
      .executeTakeFirst()
  )?.name;

  const party = await partyOf(deps, accountId);
  if (!party) {
    return refused('no-provider', 'the account has no usable provider any more', accountName);
  }
  let claims: Record<string, unknown>;
  try {
    claims = await verifiedClaims(party, input.query, {
      state,
      ...loginSecrets(deps.serverSecret, state),
    });
  } catch (error) {
    return refused(exchangeRefusal(error), failureReason(error), accountName);
  }
  const identity = identityRefusal(claims);
  if (identity) return refused(identity, `ID token of sub ${String(claims.sub)}`, accountName);
  const email = claims.email as string;

  try {
    return await inTransaction(deps.db, async (trx) => {
      const now = deps.clock();
      await holdAccount(trx, accountId, 'shared');
      const emailNormalized = normalizeEmail(email);
      const found = await findUserByEmail(trx, accountId, emailNormalized);
      if (found) await lockUser(trx, accountId, found.id);
      const user = found && (await findUserByEmail(trx, accountId, emailNormalized));
      if (!user || user.state === 'inactive') {
        throw new Refusal(
          refused('no-user', user ? 'the user was deleted' : 'no user has this email', accountName),
        );
      }
      let finishedInvitation = false;
      if (user.state === 'pending') {
        if (deriveStatus(user.state, user.invitation_expires_at, now) !== 'invited') {
          throw new Refusal(
            refused('invitation-expired', 'the invitation has expired', accountName),
          );
        }
        finishedInvitation = await store.finishInvitation(trx, accountId, user.id, now);
        if (!finishedInvitation) {
          throw new Refusal(refused('invitation-expired', 'no live invitation', accountName));
        }
      }
      if (input.previousSessionId) await deleteSession(trx, input.previousSessionId);
      await clearFailures(trx, [emailThrottleKey(emailNormalized)]);
      const sessionToken = await startSession(
        trx,
        { accountId, userId: user.id, mustChangePassword: false },
        now,
      );
      await recordAudit(
        trx,
        { accountId, userId: user.id, origin: input.origin },
        {
          operation: 'signInWithSso',
          at: now,
          target: { type: 'User', id: user.id },
          ...(finishedInvitation
            ? { changes: { before: { status: 'invited' }, after: { status: 'active' } } }
            : {}),
        },
      );
      return {
        kind: 'signed-in' as const,
        sessionToken,
        accountId,
        userId: user.id,
        mustChangePassword: false as const,
        deviceCookie: deviceCookieFor(deps.serverSecret, accountId, user.id),
        finishedInvitation,
      };
    });
  } catch (error) {
    if (error instanceof Refusal) return error.refusal;
    throw error;
  }
}
