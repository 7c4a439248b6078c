/** TypeBox schemas of the users API: request and response shapes, shared with OpenAPI. */
import { Type, type Static } from 'typebox';
import { decodeId, encodeId } from '../http/global-id.js';
import type { RoleAssignment as InternalRoleAssignment } from '../roles/assignment.js';
import { isoTime } from '../http/time.js';
import { Defaulted, StringEnum } from '../http/schemas.js';
import { INVITE_MODES, ROLES, USER_STATUSES, EMAIL_MAX } from './rules.js';
import type { User } from './service.js';

export const RoleAssignmentSchema = Type.Union(
  [
    Type.Object(
      { type: Type.Literal('predefined'), name: StringEnum(ROLES) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('custom'),
        id: Type.String({ maxLength: 255, description: 'The id of a custom role (GET /v2/roles)' }),
        name: Type.Optional(Type.String({ description: 'Ignored: responses show it' })),
      },
      {
        additionalProperties: false,
        description:
          "A custom role of the account (/v2/roles); an unknown or other account's id is a 400 naming it",
      },
    ),
  ],
  {
    $id: 'RoleAssignment',
    description:
      'A predefined role (admin, member, annotator) or a custom role of /v2/roles; discriminated by type',
  },
);

export type RoleAssignment = Static<typeof RoleAssignmentSchema>;

/**
 * The role as responses carry it: `{ type: predefined, name }`, or `{ type: custom, id, name }`
 * as Arize shows a custom role. One object rather than a union: the SDKs' upper-case spelling
 * (http/enum-case.ts) is applied before serialization, and a predefined role's name is an enum
 * there while a custom role's name is kept as it is (no custom role takes a predefined name).
 */
export const UserRoleSchema = Type.Object(
  {
    type: StringEnum(['predefined', 'custom'] as const),
    name: Type.Union([StringEnum(ROLES), Type.String()], {
      description: "admin, member or annotator; for a custom role, the role's name",
    }),
    id: Type.Optional(
      Type.String({ description: 'Custom roles only: the role (GET /v2/roles/{role_id})' }),
    ),
  },
  { $id: 'UserRole' },
);

export const UserSchema = Type.Object(
  {
    id: Type.String({ description: 'Opaque global id' }),
    name: Type.String({ description: 'Display name, 1-255 characters after trimming' }),
    email: Type.String({ description: 'As given at creation; compared case-insensitively' }),
    created_at: Type.String({ format: 'date-time' }),
    status: StringEnum(USER_STATUSES, {
      description: 'Derived: invited while the pending invitation is unexpired, then expired',
    }),
    role: Type.Unsafe({ $ref: 'UserRole#' }),
    is_developer: Type.Boolean({ description: 'May use the API with own API keys' }),
  },
  { $id: 'User' },
);

export const CreateUserResponseSchema = Type.Object(
  {
    ...UserSchema.properties,
    invite_mode: StringEnum(INVITE_MODES),
    temporary_password: Type.Optional(
      Type.String({ description: 'Only for temporary_password mode; shown once, never again' }),
    ),
  },
  { $id: 'CreateUserResponse', description: 'A newly created (or newly re-invited) user' },
);

export const CreateUserBody = Type.Object(
  {
    name: Type.String({
      maxLength: 1000,
      description: 'Display name; trimmed, then 1-255 characters',
    }),
    email: Type.String({
      maxLength: 1000,
      description: `Email address, at most ${EMAIL_MAX} characters; the idempotency key`,
    }),
    role: Type.Unsafe<RoleAssignment>({ $ref: 'RoleAssignment#' }),
    invite_mode: StringEnum(INVITE_MODES, {
      description:
        'none: active at once (SSO); email_link: emailed link; temporary_password: returned once',
    }),
    is_developer: Type.Optional(
      Type.Boolean({
        description: 'Default: true for admin, member and custom roles, false for annotator',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;

export const UpdateUserBody = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        maxLength: 1000,
        description: 'Needs USER_UPDATE; trimmed, then 1-255 characters',
      }),
    ),
    is_developer: Type.Optional(Type.Boolean({ description: 'Admins only' })),
    role: Type.Optional(
      Type.Unsafe<RoleAssignment>({
        $ref: 'RoleAssignment#',
        description:
          "Roster's extension, admins only: the user's new role, predefined or custom. A change " +
          'that would leave the account without an active admin developer is a 409.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const UserIdParams = Type.Object({
  user_id: Type.String({ description: 'Global user id' }),
});

export const ListUsersQuery = Type.Object(
  {
    limit: Defaulted(
      Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Page size, 1-100' }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'Opaque cursor from pagination.next_cursor' }),
    ),
    email: Type.Optional(
      Type.String({ maxLength: 255, description: 'Case-insensitive substring of the email' }),
    ),
    status: Type.Optional(
      Type.Array(StringEnum(USER_STATUSES), {
        description: 'Repeatable; default active + invited + expired',
        maxItems: 10,
      }),
    ),
  },
  { additionalProperties: false },
);

export const ListUsersResponse = Type.Object({
  users: Type.Array(Type.Unsafe({ $ref: 'User#' })),
  pagination: Type.Unsafe({ $ref: 'Pagination#' }),
});

export interface WireUser {
  id: string;
  name: string;
  email: string;
  created_at: string;
  status: string;
  role: { type: 'predefined'; name: string } | { type: 'custom'; id: string; name: string };
  is_developer: boolean;
}

export function toWireUser(user: User): WireUser {
  return {
    id: encodeId('User', user.id),
    name: user.name,
    email: user.email,
    created_at: isoTime(user.createdAt),
    status: user.status,
    role:
      user.role.type === 'custom'
        ? { type: 'custom', id: encodeId('Role', user.role.id), name: user.role.name }
        : user.role,
    is_developer: user.isDeveloper,
  };
}

/**
 * A role assignment as the request gave it, with a custom role's global id decoded (an id that
 * does not decode names no role: the service answers the 400 that names it).
 */
export function fromWireRole(role: RoleAssignment): {
  role: InternalRoleAssignment;
  givenRoleId?: string;
} {
  if (role.type === 'predefined') return { role };
  return { role: { type: 'custom', id: decodeId('Role', role.id) ?? '' }, givenRoleId: role.id };
}
