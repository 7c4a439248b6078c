import { describe, expect, it } from 'vitest';
import { enumFields, enumPaths } from '../../src/http/enum-case.js';
import {
  CreateUserBody,
  CreateUserResponseSchema,
  ListUsersQuery,
  ListUsersResponse,
  RoleAssignmentSchema,
  UserRoleSchema,
  UserSchema,
} from '../../src/users/schemas.js';
import { PaginationSchema } from '../../src/http/schemas.js';

const shared = Object.fromEntries(
  [RoleAssignmentSchema, UserRoleSchema, UserSchema, PaginationSchema].map((schema) => [
    (schema as object as { $id: string }).$id,
    schema as object,
  ]),
);
const resolve = (id: string) => shared[id];
const paths = (schema: object) =>
  enumPaths(schema, resolve)
    .map((path) => path.join('.'))
    .sort();

describe('enum fields are read from the schemas', () => {
  it('a created user: status, the role and the invite mode, and nothing else', () => {
    expect(paths(CreateUserResponseSchema)).toEqual([
      'invite_mode',
      'role.name',
      'role.type',
      'status',
    ]);
  });

  it('a create request: the role (through its shared schema) and the invite mode', () => {
    expect(paths(CreateUserBody)).toEqual(['invite_mode', 'role.name', 'role.type']);
  });

  it('a list: every item’s enums, and the repeatable status filter', () => {
    expect(paths(ListUsersResponse)).toEqual([
      'users.*.role.name',
      'users.*.role.type',
      'users.*.status',
    ]);
    expect(paths(ListUsersQuery)).toEqual(['status.*']);
  });
});

describe('enum values are read with their paths', () => {
  it("a user's role name is an enum of the predefined names only: a custom role's name is free text", () => {
    const fields = enumFields(UserSchema, resolve);
    const values = (path: string) =>
      [...fields.find((field) => field.path.join('.') === path)!.values].sort();
    expect(values('role.name')).toEqual(['admin', 'annotator', 'member']);
    expect(values('role.type')).toEqual(['custom', 'predefined']);
  });

  it('branches of a union with an enum at one path give one field with all their values', () => {
    const union = {
      anyOf: [
        { type: 'object', properties: { kind: { enum: ['a'] } } },
        { type: 'object', properties: { kind: { const: 'b' } } },
      ],
    };
    expect(enumFields(union, resolve)).toEqual([{ path: ['kind'], values: new Set(['a', 'b']) }]);
  });
});
