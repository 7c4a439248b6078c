/** Link tokens name their token row and prove, by an HMAC under the server secret, that Roster made them. */
import { describe, expect, it } from 'vitest';
import { generateServerSecret, linkToken, linkTokenId } from '../../src/auth/secrets.js';
import { newId } from '../../src/db/ids.js';

describe('link tokens', () => {
  const secret = generateServerSecret();
  const id = newId(Date.now());
  const token = linkToken(secret, id);
  const [, mac] = token.split('.') as [string, string];

  it('name their token row, and only a token made here is taken', () => {
    expect(token).toMatch(/^[0-9A-Z]{26}\.[A-Za-z0-9_-]{43}$/);
    expect(linkTokenId(secret, token)).toBe(id);
    expect(linkTokenId(generateServerSecret(), token)).toBeUndefined();
  });

  it("refuse another row's id under this HMAC, and any HMAC changed by a character", () => {
    const other = newId(Date.now() + 1);
    expect(linkTokenId(secret, `${other}.${mac}`)).toBeUndefined();
    const flipped = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
    expect(linkTokenId(secret, `${id}.${flipped}`)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['no HMAC', id],
    ['an empty HMAC', `${id}.`],
    ['padding added', `${token}=`],
    ['a character base64url does not have', `${token.slice(0, -1)}+`],
    ['a third part', `${token}.x`],
    ['an id of another shape', `../${id}.${mac}`],
    ['the id in lower case', `${id.toLowerCase()}.${mac}`],
    ['a short HMAC', `${id}.${mac.slice(0, 22)}`],
  ])('refuse a token with %s', (_what, value) => {
    expect(linkTokenId(secret, value)).toBeUndefined();
  });
});
