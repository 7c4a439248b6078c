/**
 * What a chosen password must be (NIST SP 800-63B): 8 to 256 characters, no composition rules,
 * not one of the most common passwords, not the person's own email or name. Never truncated:
 * the whole password, normalised, is what gets hashed and compared.
 *
 * The common passwords come from `@zxcvbn-ts/language-common` (MIT licence, maintained by the
 * zxcvbn-ts project): its "passwords-common" dictionary of 49,233 leaked passwords, ranked by
 * frequency, 17,950 of them at least 8 characters long (shorter ones fail the length rule anyway).
 */
import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

let common: Set<string> | undefined;

function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/**
 * The form a password is hashed and compared in: Unicode NFKC, so that the same password typed
 * on two keyboards (composed or decomposed accents, full-width digits) is the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export interface PasswordContext {
  email: string;
  name: string;
}

/** Why a chosen password is refused, in words for the person choosing it; undefined if it is fine. */
export function passwordProblem(password: string, context: PasswordContext): string | undefined {
  if (!password.isWellFormed()) return 'The password contains characters that cannot be used.';
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  const lower = normalized.toLowerCase();
  if (commonPasswords().has(lower)) {
    return 'This password is one of the most common ones and is easy to guess. Choose another.';
  }
  const email = context.email.toLowerCase();
  const personal = [email, email.split('@')[0] ?? '', context.name.toLowerCase()];
  if (personal.some((word) => word.length > 0 && lower === word)) {
    return 'Do not use your email address or your name as your password.';
  }
  return undefined;
}

/** How many common passwords are refused (for tests and documentation). */
export function commonPasswordCount(): number {
  return commonPasswords().size;
}
