/**
 * One-time links to set a password, for a user who is already active: the admin the first
 * start creates (an SSO user with no password), or anyone an operator lets back in with
 * `roster users password-link`. The link is a link token like an invitation's (auth/secrets.ts):
 * single use, dead after PASSWORD_SETUP_TTL_MS, after a newer set-up link for the same user and
 * once the user is deleted. Using it sets the password (an SSO user then has both), ends every
 * other session of the person and signs this browser in.
 */
import { linkIsLive } from '../auth/token-rules.js';
import { linkToken, linkTokenId } from '../auth/secrets.js';
import type { Deps } from '../deps.js';
import { newId } from '../db/ids.js';
import type { Trx } from '../db/transaction.js';
import { insertToken, lockUser, revokeLiveTokens } from '../users/store.js';
import {
  choosePassword,
  toView,
  useLink,
  type LinkInvalid,
  type LinkView,
  type Retry,
  type SignedIn,
} from './service.js';
import { findLinkToken } from './store.js';

export const PASSWORD_SETUP_TTL_MS = 24 * 60 * 60 * 1000;
export const PASSWORD_SETUP_PATH = '/password/setup';

export interface PasswordSetupLink {
  /** The whole link, on ROSTER_PUBLIC_URL; shown once, never stored or logged. */
  url: string;
  expiresAt: number;
}

/** The link a person opens for the set-up token `token`. */
export function passwordSetupUrl(publicUrl: string, token: string): string {
  return `${publicUrl}${PASSWORD_SETUP_PATH}?token=${token}`;
}

/**
 * A new set-up link for an active user, inside the caller's transaction; the user's previous
 * unused set-up link stops working. The user's row is locked first, so two links made at once
 * take turns and the later one is the only one left.
 */
export async function issuePasswordSetup(
  deps: Deps,
  trx: Trx,
  user: { accountId: string; userId: string },
  now: number,
): Promise<PasswordSetupLink> {
  await lockUser(trx, user.accountId, user.userId);
  await revokeLiveTokens(trx, user.accountId, user.userId, 'password_setup', now);
  const expiresAt = now + PASSWORD_SETUP_TTL_MS;
  const tokenId = newId(now);
  await insertToken(
    trx,
    { accountId: user.accountId, userId: user.userId, purpose: 'password_setup', expiresAt },
    now,
    tokenId,
  );
  const token = linkToken(deps.serverSecret, tokenId);
  return { url: passwordSetupUrl(deps.config.publicUrl, token), expiresAt };
}

/** The set-up behind a link, if it can still be used by an active user. Opening it changes nothing. */
export async function viewPasswordSetup(deps: Deps, token: string): Promise<LinkView | undefined> {
  const tokenId = linkTokenId(deps.serverSecret, token);
  if (!tokenId) return undefined;
  const row = await findLinkToken(deps.db.kysely, tokenId, 'password_setup');
  if (!row || row.state !== 'active') return undefined;
  return linkIsLive(row, deps.clock()) ? toView(row) : undefined;
}

/** Uses the set-up link once: sets the password, ends every other session, signs in. */
export async function completePasswordSetup(
  deps: Deps,
  input: { token: string; password: string; confirmation: string },
): Promise<LinkInvalid | (Retry & { view: LinkView }) | SignedIn> {
  const view = await viewPasswordSetup(deps, input.token);
  if (!view) return { kind: 'invalid' };
  const chosen = await choosePassword(input.password, input.confirmation, view);
  if ('kind' in chosen) return { ...chosen, view };
  return useLink(deps, view, chosen.hash, 'active');
}
