import { describe, expect, it } from 'vitest';
import {
  ARIZE_PERMISSIONS,
  checkPermissions,
  checkRoleDescription,
  checkRoleName,
  enforcedOf,
  grantProblem,
  isPredefinedName,
  PREDEFINED_ROLES,
  predefinedRoleById,
} from '../../src/roles/rules.js';
import { hasPermission, permissionsOf } from '../../src/auth/permissions.js';
import { isRowId } from '../../src/db/ids.js';

describe('predefined roles', () => {
  it('are admin, member and annotator, with the permissions Roster enforces', () => {
    expect(PREDEFINED_ROLES.map((role) => [role.name, role.permissions])).toEqual([
      ['admin', ['USER_READ', 'USER_CREATE', 'USER_UPDATE', 'USER_DELETE']],
      ['member', ['USER_READ']],
      ['annotator', []],
    ]);
  });

  it('have fixed row-id-shaped ids, found by id', () => {
    for (const role of PREDEFINED_ROLES) {
      expect(isRowId(role.id)).toBe(true);
      expect(predefinedRoleById(role.id)).toBe(role);
    }
    expect(predefinedRoleById('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeUndefined();
  });

  it('their names are taken in any case or compatibility form', () => {
    expect(isPredefinedName('Admin')).toBe(true);
    expect(isPredefinedName('ＭＥＭＢＥＲ')).toBe(true);
    expect(isPredefinedName('Annotators')).toBe(false);
  });
});

describe('role names, descriptions and permissions', () => {
  it('a name is trimmed, then 1-255 visible characters', () => {
    expect(checkRoleName('  Data Scientist ')).toEqual({ name: 'Data Scientist' });
    expect(checkRoleName('   ')).toHaveProperty('problem');
    expect(checkRoleName('x'.repeat(256))).toHaveProperty('problem');
    expect(checkRoleName('a\u202Eb')).toHaveProperty('problem');
  });

  it('an empty description is none; control characters are refused', () => {
    expect(checkRoleDescription('')).toEqual({ description: null });
    expect(checkRoleDescription(' Reads ')).toEqual({ description: ' Reads ' });
    expect(checkRoleDescription('a\u0000b')).toHaveProperty('problem');
    expect(checkRoleDescription('d'.repeat(1001))).toHaveProperty('problem');
  });

  it('permissions: at least one, each kept once in the order given', () => {
    expect(checkPermissions([])).toEqual({ problem: 'must hold at least one permission' });
    expect(checkPermissions(['PROJECT_READ', 'USER_READ', 'PROJECT_READ'])).toEqual({
      permissions: ['PROJECT_READ', 'USER_READ'],
    });
  });

  it("Arize's permission list holds the four Roster enforces", () => {
    for (const permission of ['USER_READ', 'USER_CREATE', 'USER_UPDATE', 'USER_DELETE']) {
      expect(ARIZE_PERMISSIONS).toContain(permission);
    }
    expect(new Set(ARIZE_PERMISSIONS).size).toBe(ARIZE_PERMISSIONS.length);
  });

  it('only USER_READ, USER_CREATE, USER_UPDATE and USER_DELETE are enforced', () => {
    expect(
      enforcedOf(['PROJECT_READ', 'USER_DELETE', 'USER_READ', 'USER_PERMISSION_UPDATE']),
    ).toEqual(['USER_READ', 'USER_DELETE']);
  });
});

describe('permissions of a role holder', () => {
  it('a custom role has the enforced permissions its role grants, and none when unknown', () => {
    const reader = { role: 'custom', customPermissions: ['USER_READ'] } as const;
    expect(hasPermission(reader, 'USER_READ')).toBe(true);
    expect(hasPermission(reader, 'USER_CREATE')).toBe(false);
    expect(permissionsOf({ role: 'custom' })).toEqual([]);
    expect(hasPermission({ role: 'member' }, 'USER_READ')).toBe(true);
    expect(hasPermission({ role: 'annotator' }, 'USER_READ')).toBe(false);
  });
});

describe('grantProblem: nobody grants what they do not hold', () => {
  const creator = { role: 'custom', customPermissions: ['USER_READ', 'USER_CREATE'] } as const;

  it('admins grant any role', () => {
    expect(grantProblem({ role: 'admin' }, { role: 'admin' })).toBeUndefined();
    expect(
      grantProblem({ role: 'admin' }, { role: 'custom', customPermissions: ['USER_DELETE'] }),
    ).toBeUndefined();
  });

  it('others never grant the admin role', () => {
    expect(grantProblem(creator, { role: 'admin' })).toBe(
      'Only admins may give a user the admin role',
    );
  });

  it('others grant roles within their own permissions, and are told what they lack', () => {
    expect(grantProblem(creator, { role: 'member' })).toBeUndefined();
    expect(grantProblem(creator, { role: 'annotator' })).toBeUndefined();
    expect(grantProblem(creator, creator)).toBeUndefined();
    expect(
      grantProblem(creator, {
        role: 'custom',
        customPermissions: ['USER_READ', 'USER_UPDATE', 'USER_DELETE'],
      }),
    ).toBe(
      'You may not give a user a role with permissions you do not hold (USER_UPDATE, USER_DELETE)',
    );
  });
});
