/**
 * Every secret Roster hands out, and how it is kept: never in clear.
 * - API keys: 256 random bits behind a fixed prefix; stored as SHA-256.
 * - Link tokens (invitation, password reset): the token row's id and its HMAC-SHA-256 under
 *   the server secret. Nothing of them is stored but the row: the outbox rebuilds the link at
 *   send time, and a link is checked by its HMAC, then looked up by the row's key.
 * - Temporary passwords: random, shown once; stored as argon2id (see passwords.ts).
 */
import crypto, {
  createHash,
  createHmac,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';
import { isRowId } from '../db/ids.js';

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

function linkMac(serverSecret: string, tokenId: string): Buffer {
  return createHmac('sha256', serverSecret).update(`link-token:${tokenId}`).digest();
}

/** The token that goes in a link for the token row `tokenId`: `<id>.<HMAC, base64url>`. */
export function linkToken(serverSecret: string, tokenId: string): string {
  return `${tokenId}.${linkMac(serverSecret, tokenId).toString('base64url')}`;
}

/** The token row a link token names, if the token was made here; undefined for anything else. */
export function linkTokenId(serverSecret: string, token: string): string | undefined {
  const [tokenId, mac, ...rest] = token.split('.');
  if (rest.length > 0 || !tokenId || !mac || !isRowId(tokenId)) return undefined;
  const given = Buffer.from(mac, 'base64url');
  const expected = linkMac(serverSecret, tokenId);
  // Buffer.from drops what is not base64url: the token must also be spelled exactly.
  if (given.length !== expected.length || given.toString('base64url') !== mac) return undefined;
  return timingSafeEqual(given, expected) ? tokenId : undefined;
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
