/**
 * The users feature's decisions, as plain functions of plain data. No I/O here.
 */
import type { AccountRole, InvitationMode, RoleName, UserState } from '../db/tables.js';
import { checkText, hasInvisible } from '../text.js';

export type InviteMode = 'none' | InvitationMode;
export type UserStatus = 'active' | 'invited' | 'expired';
/** What a stored user is right now: its API status, or inactive (deleted). */
export type CurrentStatus = UserStatus | 'inactive';

export const ROLES: readonly RoleName[] = ['admin', 'member', 'annotator'];
export const INVITE_MODES: readonly InviteMode[] = ['none', 'email_link', 'temporary_password'];
export const USER_STATUSES: readonly UserStatus[] = ['active', 'invited', 'expired'];

export const NAME_MAX = 255;
export const EMAIL_MAX = 254;
export const EMAIL_LOCAL_MAX = 64;

/**
 * A pending user is `invited` while its live invitation has not expired, and `expired`
 * once it has (or when it has none).
 */
export function deriveStatus(
  state: UserState,
  invitationExpiresAt: number | null,
  now: number,
): CurrentStatus {
  if (state === 'active') return 'active';
  if (state === 'inactive') return 'inactive';
  return invitationExpiresAt !== null && invitationExpiresAt > now ? 'invited' : 'expired';
}

export type CreateDecision =
  | { action: 'create' }
  | { action: 'return-as-is' }
  | { action: 'activate' }
  | { action: 'reinvite' }
  | { action: 'refuse'; reason: string };

/**
 * The email-keyed idempotency table of POST /v2/users, one row per existing status. Both
 * actions that change an existing user, `activate` and `reinvite`, give it the request's name,
 * role and is_developer (the request is the caller's latest word on who the person is);
 * `return-as-is` changes nothing.
 */
export function decideCreate(
  existing: CurrentStatus | undefined,
  mode: InviteMode,
): CreateDecision {
  switch (existing) {
    case undefined:
      return { action: 'create' };
    case 'invited':
      return mode === 'none' ? { action: 'activate' } : { action: 'return-as-is' };
    case 'expired':
      return mode === 'none' ? { action: 'activate' } : { action: 'reinvite' };
    case 'active':
      return { action: 'refuse', reason: 'A user with this email already exists and is active' };
    case 'inactive':
      return {
        action: 'refuse',
        reason: 'A user with this email was deleted and cannot be re-invited',
      };
  }
}

/** Annotators do not use the API; admins, members and holders of a custom role do. */
export function defaultIsDeveloper(role: AccountRole): boolean {
  return role !== 'annotator';
}

export function invitationExpiresAt(now: number, ttlSeconds: number): number {
  return now + ttlSeconds * 1000;
}

export const PASSWORD_RESET_TTL_MS = 30 * 60 * 1000;

/**
 * Emails are compared by a normalised key: Unicode NFKC (so compatibility forms such as the
 * Kelvin sign or full-width letters fold to their plain letters, and NFC/NFD spellings of
 * one address meet), then lower case. The address itself is kept as given.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').toLowerCase().normalize('NFKC');
}

// Printable, no white space, no control or format characters, no angle brackets or quotes.
const FORBIDDEN_IN_EMAIL = /[\s\p{Cc}\p{Cf}\p{Co}\p{Cn}<>()[\]\\,;:"]/u;

/** Why an email address is refused, or undefined when it is acceptable. */
export function emailProblem(email: string): string | undefined {
  if (!email.isWellFormed()) return 'must be valid Unicode';
  if (email.length === 0) return 'must not be empty';
  if (email.length > EMAIL_MAX) return `must be at most ${EMAIL_MAX} characters`;
  if (FORBIDDEN_IN_EMAIL.test(email))
    return 'must not contain spaces, control characters or quotes';
  // So that no new address looks identical to an existing one: nothing that shows nothing,
  // as given or once normalised (NFKC turns some characters into a space and a mark).
  if (hasInvisible(email) || hasInvisible(normalizeEmail(email))) {
    return 'must not contain invisible characters (zero-width, variation selectors, fillers)';
  }
  const at = email.indexOf('@');
  if (at < 0) return 'must contain @';
  if (email.indexOf('@', at + 1) >= 0) return 'must contain exactly one @';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length === 0) return 'must have a local part before @';
  if (local.length > EMAIL_LOCAL_MAX)
    return `local part must be at most ${EMAIL_LOCAL_MAX} characters`;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return 'local part must not start or end with a dot or contain two dots in a row';
  }
  const labels = domain.split('.');
  if (labels.length < 2 || labels.some((label) => label.length === 0 || label.length > 63)) {
    return 'must have a domain such as example.com';
  }
  if (labels.some((label) => label.startsWith('-') || label.endsWith('-'))) {
    return 'domain labels must not start or end with a hyphen';
  }
  return undefined;
}

/** Trims a display name (a user's or an account's); returns it, or why it is refused. */
export function normalizeName(name: string): { name: string } | { problem: string } {
  const checked = checkText(name, { max: NAME_MAX, trim: true });
  return 'problem' in checked ? checked : { name: checked.text };
}

/** What the last-admin rule needs to know of a user. */
export interface AdminStanding {
  role: AccountRole;
  state: UserState;
  isDeveloper: boolean;
}

/** An active admin who may use the API: what every account keeps at least one of. */
export function isActiveAdminDeveloper(user: AdminStanding): boolean {
  return user.state === 'active' && user.role === 'admin' && user.isDeveloper;
}

/**
 * Why a change to one user would leave its account without an active admin developer, or
 * undefined when it would not. `adminDeveloperIds` are the account's active admin developers
 * before the change, `after` what the user would be after it, and `change` names the change
 * ("Deleting this user") for the answer.
 */
export function lastAdminDeveloperProblem(
  adminDeveloperIds: readonly string[],
  userId: string,
  after: AdminStanding,
  change: string,
): string | undefined {
  const others = adminDeveloperIds.filter((id) => id !== userId).length;
  if (others > 0 || isActiveAdminDeveloper(after)) return undefined;
  return (
    `${change} would leave the account without an active admin who may use the API ` +
    '(an active admin with is_developer true); add another admin developer first'
  );
}

/**
 * Why the caller of the API, as stored when its change runs, may no longer change anything, or
 * undefined. (It was checked when its request arrived; it may have been deleted or made a
 * non-developer since.)
 */
export function callerProblem(caller: AdminStanding | undefined): string | undefined {
  if (!caller || caller.state === 'inactive') {
    return 'Your user was deleted while this request was waiting; nothing was changed';
  }
  if (caller.state !== 'active') return 'Your user is not active; nothing was changed';
  if (!caller.isDeveloper) {
    return 'Your user is no longer a developer and may not use the API; nothing was changed';
  }
  return undefined;
}
