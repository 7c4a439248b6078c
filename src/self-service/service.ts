/**
 * The invited person's use cases: accept an invitation, sign in, change a forced or chosen
 * password, ask for and complete a password reset. Each write runs in one transaction; nothing
 * here knows about HTTP or HTML. Results are plain records that the routes turn into pages.
 */
import { linkIsLive } from '../auth/token-rules.js';
import type { Deps } from '../deps.js';
import { inTransaction } from '../db/transaction.js';
import { hashPassword, verifyNothing, verifyPassword } from '../auth/passwords.js';
import { linkTokenId } from '../auth/secrets.js';
import { normalizePassword, passwordProblem } from '../auth/password-policy.js';
import { emailProblem, normalizeEmail } from '../users/rules.js';
import { isStorableText } from '../text.js';
import { queuePasswordReset } from '../users/service.js';
import { endSessionsOfUser, startSession, type Session } from '../sessions/service.js';
import { deviceCookieFor, trustedDeviceNonce } from './device.js';
import {
  EMAIL_LIMIT,
  emailThrottleKey,
  RESET_EMAIL_INTERVAL_MS,
  signInChecks,
  signInThrottleRules,
  THROTTLE_WINDOW_MS,
  throttleDelayMs,
  type ThrottleRule,
} from './rules.js';
import * as store from './store.js';
import { deleteSession } from '../sessions/store.js';
import type { Origin } from '../audit/origin.js';
import { recordAudit } from '../audit/record.js';
import { providersOf } from '../sso/store.js';
import { passwordSignInAllowed } from '../sso/rules.js';

export interface LinkView {
  tokenId: string;
  accountId: string;
  accountName: string;
  userId: string;
  name: string;
  email: string;
}

/** What a person is told when a link cannot be used, whatever the reason. */
export type LinkInvalid = { kind: 'invalid' };
export type Retry = { kind: 'retry'; problem: string };
export type SignedIn = {
  kind: 'signed-in';
  sessionToken: string;
  accountId: string;
  mustChangePassword: boolean;
  deviceCookie: string;
  /** An admin's password sign-in to an account whose single sign-on is enforced. */
  breakGlass?: { userId: string };
};

class LinkNoLongerValid extends Error {}

function signedIn(
  deps: Deps,
  user: { accountId: string; userId: string },
  sessionToken: string,
  mustChangePassword = false,
): SignedIn {
  return {
    kind: 'signed-in',
    sessionToken,
    accountId: user.accountId,
    mustChangePassword,
    deviceCookie: deviceCookieFor(deps.serverSecret, user.accountId, user.userId),
  };
}

export function toView(row: store.LinkTokenRow): LinkView {
  return {
    tokenId: row.id,
    accountId: row.account_id,
    accountName: row.account_name,
    userId: row.user_id,
    name: row.name,
    email: row.email,
  };
}

/** Checks the two entries and the policy, then hashes (slow, so outside any transaction). */
export async function choosePassword(
  password: string,
  confirmation: string,
  person: { email: string; name: string },
): Promise<{ hash: string } | Retry> {
  if (password !== confirmation)
    return { kind: 'retry', problem: 'The two passwords do not match.' };
  const problem = passwordProblem(password, person);
  if (problem) return { kind: 'retry', problem };
  return { hash: await hashPassword(normalizePassword(password)) };
}

// ---------------------------------------------------------------------------------------
// Invitation links

/** The invitation behind a link, if it can still be accepted. Opening it changes nothing. */
export async function viewInvitation(deps: Deps, token: string): Promise<LinkView | undefined> {
  const tokenId = linkTokenId(deps.serverSecret, token);
  if (!tokenId) return undefined;
  const row = await store.findLinkToken(deps.db.kysely, tokenId, 'invitation');
  if (!row || row.invite_mode !== 'email_link' || row.state !== 'pending') return undefined;
  return linkIsLive(row, deps.clock()) ? toView(row) : undefined;
}

/**
 * Uses a link once and sets the password, in one transaction: of any number of concurrent
 * submissions of one link, exactly one gets past consumeToken. The user must still be in state
 * `from` (a user deleted meanwhile never becomes active). Every other session of the person
 * ends and this browser is signed in.
 */
export async function useLink(
  deps: Deps,
  view: LinkView,
  passwordHash: string,
  from: 'pending' | 'active',
  origin: Origin,
  operation = from === 'pending' ? 'acceptInvitation' : 'completePasswordReset',
): Promise<LinkInvalid | SignedIn> {
  const user = { accountId: view.accountId, userId: view.userId };
  try {
    const sessionToken = await inTransaction(deps.db, async (trx) => {
      const now = deps.clock();
      // The user row first, then the token: the same lock order as deleting a user.
      if (!(await store.setPassword(trx, { ...user, from }, passwordHash, now))) {
        throw new LinkNoLongerValid();
      }
      if (!(await store.consumeToken(trx, { id: view.tokenId, account_id: view.accountId }, now))) {
        throw new LinkNoLongerValid();
      }
      await endSessionsOfUser(trx, user.accountId, user.userId);
      // Proving control of the mailbox lifts the email's sign-in throttle.
      await store.clearFailures(trx, [emailThrottleKey(normalizeEmail(view.email))]);
      const token = await startSession(trx, { ...user, mustChangePassword: false }, now);
      await recordAudit(
        trx,
        { ...user, origin },
        {
          operation,
          at: now,
          target: { type: 'User', id: user.userId },
        },
      );
      return token;
    });
    return signedIn(deps, user, sessionToken);
  } catch (error) {
    if (error instanceof LinkNoLongerValid) return { kind: 'invalid' };
    throw error;
  }
}

/** Finishes registration: the user chooses a password and becomes active, signed in. */
export async function acceptInvitation(
  deps: Deps,
  input: { token: string; password: string; confirmation: string; origin: Origin },
): Promise<LinkInvalid | (Retry & { view: LinkView }) | SignedIn> {
  const view = await viewInvitation(deps, input.token);
  if (!view) return { kind: 'invalid' };
  const chosen = await choosePassword(input.password, input.confirmation, view);
  if ('kind' in chosen) return { ...chosen, view };
  return useLink(deps, view, chosen.hash, 'pending', input.origin);
}

// ---------------------------------------------------------------------------------------
// Sign-in

export type SignInResult =
  | SignedIn
  | { kind: 'wrong' }
  /** The person must use single sign-on; `configured`: the account has it set up. */
  | { kind: 'sso'; configured: boolean }
  | { kind: 'throttled'; retryAfterMs: number }
  | { kind: 'choose-account'; accounts: Array<{ id: string; name: string }> };

export interface SignInInput {
  email: string;
  password: string;
  /** The account named by the sign-in page, if any; otherwise every account is considered. */
  accountId: string | undefined;
  ip: string;
  deviceCookie: string | undefined;
  /** The session being replaced: a sign-in always starts a new one. */
  previousSessionId: string | undefined;
  origin: Origin;
}

async function throttleDelay(deps: Deps, rules: ThrottleRule[], now: number): Promise<number> {
  let delay = 0;
  for (const rule of rules) {
    const times = await store.recentFailures(
      deps.db.kysely,
      rule.key,
      now - THROTTLE_WINDOW_MS,
      rule.limit,
    );
    delay = Math.max(delay, throttleDelayMs(times, rule.limit, now));
  }
  return delay;
}

export async function signIn(deps: Deps, input: SignInInput): Promise<SignInResult> {
  const email = input.email.trim();
  if (!email || !input.password || email.length > 320 || !isStorableText(email)) {
    return { kind: 'wrong' };
  }
  const emailNormalized = normalizeEmail(email);
  const now = deps.clock();
  const candidates = await store.findSignInCandidates(
    deps.db.kysely,
    emailNormalized,
    input.accountId,
  );
  const deviceNonce = trustedDeviceNonce(
    deps.serverSecret,
    input.deviceCookie,
    candidates.map((c) => ({ accountId: c.account_id, userId: c.user_id })),
  );
  const rules = signInThrottleRules({ emailNormalized, ip: input.ip, deviceNonce });
  const retryAfterMs = await throttleDelay(deps, rules, now);
  if (retryAfterMs > 0) return { kind: 'throttled', retryAfterMs };

  // Each account the password may open, oldest membership first: a password or a live
  // temporary password, where single sign-on is not enforced (or for an admin: break-glass).
  const providers = await providersOf(
    deps.db.kysely,
    candidates.map((c) => c.account_id),
  );
  const passwordAllowed = (c: store.SignInCandidate) =>
    passwordSignInAllowed(providers.get(c.account_id), c.role);
  const checkable = candidates.flatMap((c) => {
    if (!passwordAllowed(c)) return [];
    if (c.state === 'active' && c.password_hash) {
      return [{ candidate: c, hash: c.password_hash, temporary: false }];
    }
    const liveTemporary =
      c.state === 'pending' &&
      c.invite_mode === 'temporary_password' &&
      c.secret_hash &&
      (c.invitation_expires_at ?? 0) > now;
    return liveTemporary ? [{ candidate: c, hash: c.secret_hash!, temporary: true }] : [];
  });
  // Exactly signInChecks() verifications, whatever was found: an unknown email, one account
  // and several cost the same. Past that many accounts, the form must name one.
  const password = normalizePassword(input.password);
  const count = signInChecks(input.accountId !== undefined);
  const slots = checkable.slice(0, count);
  const verified = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      slots[i] ? verifyPassword(slots[i].hash, password) : verifyNothing(password),
    ),
  );
  const matches = slots.filter((_, i) => verified[i]);

  const first = matches[0];
  if (!first) {
    const ssoOnly = candidates.filter(
      (c) => (c.state === 'active' && !c.password_hash) || !passwordAllowed(c),
    );
    if (checkable.length === 0 && ssoOnly.length > 0) {
      return { kind: 'sso', configured: ssoOnly.some((c) => providers.has(c.account_id)) };
    }
    await recordFailedSignIn(
      deps,
      rules.map((r) => r.key),
      slots.map((slot) => slot.candidate),
      input.origin,
      now,
    );
    return { kind: 'wrong' };
  }
  if (matches.length > 1) {
    return {
      kind: 'choose-account',
      accounts: matches.map((m) => ({
        id: m.candidate.account_id,
        name: m.candidate.account_name,
      })),
    };
  }

  const user = { accountId: first.candidate.account_id, userId: first.candidate.user_id };
  const sessionToken = await inTransaction(deps.db, async (trx) => {
    if (input.previousSessionId) await deleteSession(trx, input.previousSessionId);
    await store.clearFailures(trx, [emailThrottleKey(emailNormalized)]);
    await store.purgeFailuresBefore(trx, now - THROTTLE_WINDOW_MS);
    const token = await startSession(trx, { ...user, mustChangePassword: first.temporary }, now);
    await recordAudit(
      trx,
      { ...user, origin: input.origin },
      { operation: 'signIn', at: now, target: { type: 'User', id: user.userId } },
    );
    return token;
  });
  const breakGlass = providers.get(user.accountId)?.enforced ? { userId: user.userId } : undefined;
  return { ...signedIn(deps, user, sessionToken, first.temporary), breakGlass };
}

/**
 * Counts a failed sign-in against its throttles and, in each account whose password it was
 * checked against, writes an entry about that user (no user acted: it was not proven who did).
 * The accounts' chains are locked in the order of their ids, so concurrent failures never
 * wait for each other in a circle.
 */
async function recordFailedSignIn(
  deps: Deps,
  throttleKeys: string[],
  checked: Array<{ account_id: string; user_id: string }>,
  origin: Origin,
  now: number,
): Promise<void> {
  if (checked.length === 0) {
    await store.recordFailures(deps.db.kysely, throttleKeys, now);
    return;
  }
  const users = [...checked].sort((a, b) => (a.account_id < b.account_id ? -1 : 1));
  await inTransaction(deps.db, async (trx) => {
    await store.recordFailures(trx, throttleKeys, now);
    for (const user of users) {
      await recordAudit(
        trx,
        { accountId: user.account_id, userId: null, origin },
        { operation: 'signInFailed', at: now, target: { type: 'User', id: user.user_id } },
      );
    }
  });
}

// ---------------------------------------------------------------------------------------
// Changing a password while signed in

export type ChangeResult =
  | SignedIn
  | Retry
  | { kind: 'temporary-password-expired' }
  | { kind: 'no-password' }
  | { kind: 'throttled'; retryAfterMs: number };

/**
 * A forced change (after a temporary-password sign-in) uses up the temporary password and makes
 * the user active; a chosen change needs the current password. Either way every session of the
 * person ends and a new one starts for this browser.
 */
export async function changePassword(
  deps: Deps,
  session: Session,
  input: { current: string; password: string; confirmation: string; origin: Origin },
): Promise<ChangeResult> {
  const user = { accountId: session.accountId, userId: session.userId };
  const target = { type: 'User' as const, id: user.userId };
  if (session.mustChangePassword) {
    const temporaryHash = await store.findTemporaryPasswordHash(
      deps.db.kysely,
      user.accountId,
      user.userId,
      deps.clock(),
    );
    if (!temporaryHash) return { kind: 'temporary-password-expired' };
    if (await verifyPassword(temporaryHash, normalizePassword(input.password))) {
      return { kind: 'retry', problem: 'Choose a password of your own, not the temporary one.' };
    }
    const chosen = await choosePassword(input.password, input.confirmation, session);
    if ('kind' in chosen) return chosen;
    try {
      const sessionToken = await inTransaction(deps.db, async (trx) => {
        const now = deps.clock();
        if (!(await store.setPassword(trx, { ...user, from: 'pending' }, chosen.hash, now))) {
          throw new LinkNoLongerValid();
        }
        if (!(await store.consumeTemporaryPassword(trx, user.accountId, user.userId, now))) {
          throw new LinkNoLongerValid();
        }
        await endSessionsOfUser(trx, user.accountId, user.userId);
        const token = await startSession(trx, { ...user, mustChangePassword: false }, now);
        await recordAudit(
          trx,
          { ...user, origin: input.origin },
          { operation: 'changeTemporaryPassword', at: now, target },
        );
        return token;
      });
      return signedIn(deps, user, sessionToken);
    } catch (error) {
      if (error instanceof LinkNoLongerValid) return { kind: 'temporary-password-expired' };
      throw error;
    }
  }

  const currentHash = await store.findPasswordHash(deps.db.kysely, user.accountId, user.userId);
  if (!currentHash) return { kind: 'no-password' };
  const now = deps.clock();
  const rules = [{ key: emailThrottleKey(normalizeEmail(session.email)), limit: EMAIL_LIMIT }];
  const retryAfterMs = await throttleDelay(deps, rules, now);
  if (retryAfterMs > 0) return { kind: 'throttled', retryAfterMs };
  if (!(await verifyPassword(currentHash, normalizePassword(input.current)))) {
    await inTransaction(deps.db, async (trx) => {
      await store.recordFailures(
        trx,
        rules.map((r) => r.key),
        now,
      );
      await recordAudit(
        trx,
        { ...user, origin: input.origin },
        { operation: 'changePasswordFailed', at: now, target },
      );
    });
    return { kind: 'retry', problem: 'Your current password is not correct.' };
  }
  const chosen = await choosePassword(input.password, input.confirmation, session);
  if ('kind' in chosen) return chosen;
  const sessionToken = await inTransaction(deps.db, async (trx) => {
    const at = deps.clock();
    if (!(await store.setPassword(trx, { ...user, from: 'active' }, chosen.hash, at))) {
      throw new Error('the user stopped being active while changing their password');
    }
    await store.revokeLiveResetTokens(trx, user.accountId, user.userId, at);
    await endSessionsOfUser(trx, user.accountId, user.userId);
    const token = await startSession(trx, { ...user, mustChangePassword: false }, at);
    await recordAudit(
      trx,
      { ...user, origin: input.origin },
      { operation: 'changePassword', at, target },
    );
    return token;
  });
  return signedIn(deps, user, sessionToken);
}

// ---------------------------------------------------------------------------------------
// Forgotten passwords

/**
 * Queues a reset email for each active user with a password at this address (in one account
 * when the page names one), at most one a minute per user. Says nothing about what it found.
 */
export async function requestPasswordReset(
  deps: Deps,
  input: { email: string; accountId: string | undefined; origin: Origin },
): Promise<void> {
  const email = input.email.trim();
  if (emailProblem(email)) return;
  const users = await store.findResettableUsers(
    deps.db.kysely,
    normalizeEmail(email),
    input.accountId,
  );
  for (const user of users) {
    await inTransaction(deps.db, async (trx) => {
      const now = deps.clock();
      const last = await store.lastResetRequestedAt(trx, user.account_id, user.id);
      if (last !== undefined && now - last < RESET_EMAIL_INTERVAL_MS) return;
      await queuePasswordReset(deps, trx, user, now);
      // Asked for by whoever knew the address: no user acted.
      await recordAudit(
        trx,
        { accountId: user.account_id, userId: null, origin: input.origin },
        { operation: 'requestPasswordReset', at: now, target: { type: 'User', id: user.id } },
      );
    });
  }
}

/** The reset behind a link, if it can still be used. Opening it changes nothing. */
export async function viewPasswordReset(deps: Deps, token: string): Promise<LinkView | undefined> {
  const tokenId = linkTokenId(deps.serverSecret, token);
  if (!tokenId) return undefined;
  const row = await store.findLinkToken(deps.db.kysely, tokenId, 'password_reset');
  if (!row || row.state !== 'active' || row.has_password !== 1) return undefined;
  return linkIsLive(row, deps.clock()) ? toView(row) : undefined;
}

/** Uses the reset link once, sets the new password, ends every other session, signs in. */
export async function completePasswordReset(
  deps: Deps,
  input: { token: string; password: string; confirmation: string; origin: Origin },
): Promise<LinkInvalid | (Retry & { view: LinkView }) | SignedIn> {
  const view = await viewPasswordReset(deps, input.token);
  if (!view) return { kind: 'invalid' };
  const chosen = await choosePassword(input.password, input.confirmation, view);
  if ('kind' in chosen) return { ...chosen, view };
  return useLink(deps, view, chosen.hash, 'active', input.origin);
}
