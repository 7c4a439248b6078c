/**
 * Validation errors say, in the request's own terms, which field is wrong and what is allowed,
 * once each.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail, type Caller, useRoster } from '../support/roster.js';

describe('validation errors in words', () => {
  const roster = useRoster('sqlite');
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  const valid = () => ({
    name: 'Ann',
    email: uniqueEmail(),
    role: { type: 'predefined', name: 'member' },
    invite_mode: 'email_link',
  });

  it.each([
    ['a role without its name', { role: { type: 'predefined' } }, 'role.name', 'is required'],
    ['a role given as a string', { role: 'member' }, 'role', 'must be an object'],
    [
      'an unknown role type',
      { role: { type: 'boss' } },
      'role.type',
      'must be one of: predefined, custom',
    ],
    [
      'an unknown role name',
      { role: { type: 'predefined', name: 'boss' } },
      'role.name',
      'must be one of: admin, member, annotator',
    ],
    [
      'a mixed-case enum',
      { invite_mode: 'Email_Link' },
      'invite_mode',
      'must be one of: none, email_link, temporary_password',
    ],
    ['a number for a name', { name: 5 }, 'name', 'must be a string'],
    ['an unknown field', { nickname: 'A' }, 'nickname', 'is not a known field'],
  ])(
    '%s: one error naming the field and what is allowed',
    async (_case, change, field, message) => {
      const response = await roster.api(admin.key, 'POST', '/v2/users', { ...valid(), ...change });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field, message }]);
      expect(response.body.detail).toBe(`${field} ${message}`);
    },
  );

  it('an empty update names the fields it may change', async () => {
    const response = await roster.api(admin.key, 'PATCH', `/v2/users/${admin.userId}`, {});
    expect(response.status).toBe(400);
    expect(response.body.detail).toBe('body must give at least one of: name, is_developer, role');
  });

  it('an out-of-range limit says the range', async () => {
    const response = await roster.api(admin.key, 'GET', '/v2/users?limit=500');
    expect(response.body.errors).toEqual([{ field: 'limit', message: 'must be at most 100' }]);
  });
});
