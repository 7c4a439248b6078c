import { describe, expect, it } from 'vitest';
import { decodeId, encodeId } from '../../src/http/global-id.js';
import { newId } from '../../src/db/ids.js';

describe('global ids', () => {
  it('are base64 of "<Type>:<internal id>", as the contract spells them', () => {
    expect(encodeId('User', '12345')).toBe('VXNlcjoxMjM0NQ==');
    const id = newId();
    expect(Buffer.from(encodeId('ApiKey', id), 'base64').toString()).toBe(`ApiKey:${id}`);
  });

  it('decode to the internal id for the right type', () => {
    for (const type of ['User', 'ApiKey', 'Account'] as const) {
      const id = newId();
      expect(decodeId(type, encodeId(type, id))).toBe(id);
    }
  });

  it('are unknown when they decode to another type', () => {
    const id = newId();
    expect(decodeId('User', encodeId('ApiKey', id))).toBeUndefined();
    expect(decodeId('ApiKey', encodeId('User', id))).toBeUndefined();
    expect(decodeId('User', encodeId('Account', id))).toBeUndefined();
  });

  it('are unknown when they do not decode to an id Roster issues', () => {
    const id = newId();
    const unknown = [
      '',
      'garbage',
      'VXNlcjoxMjM0NQ==', // User:12345, not an internal id
      Buffer.from(`User:${id.toLowerCase()}`).toString('base64'),
      Buffer.from(`User:${id}x`).toString('base64'),
      Buffer.from(`user:${id}`).toString('base64'),
      Buffer.from(`User: ${id}`).toString('base64'),
      Buffer.from(`User:${id}`).toString('base64url').replace(/=+$/, '') + '-_',
      `${encodeId('User', id)} `,
      `${encodeId('User', id)}===`,
      encodeId('User', id).repeat(3),
      '../../etc/passwd',
    ];
    for (const globalId of unknown) expect(decodeId('User', globalId), globalId).toBeUndefined();
  });

  it('never reveal a count: two ids made at the same moment differ in their random part', () => {
    const now = Date.now();
    const a = newId(now);
    const b = newId(now);
    expect(a.slice(0, 10)).toBe(b.slice(0, 10));
    expect(a).not.toBe(b);
  });
});
