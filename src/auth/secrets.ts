/**
 * Every secret Roster hands out, and how it is kept: never in clear.
 * - API keys: 256 random bits behind a fixed prefix; stored as SHA-256.
 * - Link tokens (invitation, password reset): HMAC-SHA-256 of the token row's id under the
 *   server secret, so the outbox can rebuild the link at send time without storing it;
 *   stored as SHA-256.
 * - Temporary passwords: random, shown once; stored as argon2id (see passwords.ts).
 */
import crypto, { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';

export const API_KEY_PREFIX = 'rstr_';

/** One call without a Hash object (Node ≥ 20.12): a third of the time, on every request. */
const oneShotHash = crypto.hash as typeof crypto.hash | undefined;

export function sha256(value: string): string {
  if (oneShotHash) return oneShotHash('sha256', value, 'hex');
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function generateApiKey(): { key: string; hash: string; redacted: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: sha256(key), redacted: `${API_KEY_PREFIX}...${key.slice(-4)}` };
}

/** The token that goes in a link for the token row `tokenId` (256 bits, base64url). */
export function linkToken(serverSecret: string, tokenId: string): string {
  return createHmac('sha256', serverSecret).update(`link-token:${tokenId}`).digest('base64url');
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** 20 characters from a 57-letter alphabet without look-alikes: about 116 bits. */
export function generateTemporaryPassword(): string {
  let out = '';
  for (let i = 0; i < 20; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

export function generateServerSecret(): string {
  return randomBytes(32).toString('base64url');
}
