import { describe, expect, it } from 'vitest';
import { upperResponseEnums } from '../../src/http/enum-case.js';

describe('upperResponseEnums', () => {
  it('upper-cases enum values, including the role, and nothing else', () => {
    const user = {
      id: 'VXNlcjox',
      name: 'active',
      email: 'member@example.com',
      status: 'invited',
      role: { type: 'predefined', name: 'member' },
      is_developer: true,
      invite_mode: 'email_link',
    };
    expect(upperResponseEnums(user)).toEqual({
      ...user,
      status: 'INVITED',
      role: { type: 'PREDEFINED', name: 'MEMBER' },
      invite_mode: 'EMAIL_LINK',
    });
  });

  it('walks lists and leaves pagination and secrets alone', () => {
    const body = {
      api_keys: [{ name: 'ci', key_type: 'user', status: 'revoked', redacted_key: 'rstr_...abcd' }],
      pagination: { has_more: true, next_cursor: 'abc_def' },
    };
    expect(upperResponseEnums(body)).toEqual({
      api_keys: [{ name: 'ci', key_type: 'USER', status: 'REVOKED', redacted_key: 'rstr_...abcd' }],
      pagination: { has_more: true, next_cursor: 'abc_def' },
    });
  });
});
