/**
 * SSO client secrets at rest: sealed with AES-256-GCM under a key derived from the server
 * secret for this purpose only (HKDF-SHA256), with the account's id as additional data, so a
 * sealed secret opens only for the account it was sealed for. Changing ROSTER_SECRET makes the
 * stored secrets unreadable: the provider must then be configured again.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const KEY_INFO = 'roster sso client secret';

function sealingKey(serverSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'roster', KEY_INFO, 32));
}

export function sealClientSecret(serverSecret: string, accountId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(serverSecret), iv);
  cipher.setAAD(Buffer.from(accountId, 'utf8'));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [VERSION, iv, sealed, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** The secret, or undefined when it was sealed under another server secret or for another account. */
export function openClientSecret(
  serverSecret: string,
  accountId: string,
  sealed: string,
): string | undefined {
  const [version, iv, data, tag, ...rest] = sealed.split('.');
  if (version !== VERSION || !iv || data === undefined || !tag || rest.length > 0) return undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      sealingKey(serverSecret),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(accountId, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(data, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    return undefined;
  }
}
