/** TypeBox schemas of /v2/roles: Arize's shapes (its SDK's generated types), shared with OpenAPI. */
import { Type, type Static } from 'typebox';
import { encodeId } from '../http/global-id.js';
import { isoTime } from '../http/time.js';
import { Defaulted, StringEnum } from '../http/schemas.js';
import { ARIZE_PERMISSIONS, ROLE_DESCRIPTION_MAX, type ArizePermission } from './rules.js';
import type { Role } from './service.js';

/**
 * Arize's Permission enum, spelled on the wire as every enum is (http/enum-case.ts): lower
 * case, or upper case for the official SDKs.
 */
const WIRE_PERMISSIONS = ARIZE_PERMISSIONS.map((permission) => permission.toLowerCase());

const PermissionSchema = StringEnum(WIRE_PERMISSIONS, {
  description:
    "One of Arize's permissions. Roster enforces user_read, user_create, user_update and " +
    'user_delete; the others are kept and returned as given.',
});

const Permissions = Type.Array(PermissionSchema, {
  minItems: 1,
  maxItems: 500,
  description: 'At least one; each is kept once, in the order given',
});

export const RoleSchema = Type.Object(
  {
    id: Type.String({ description: 'Opaque global id' }),
    name: Type.String(),
    description: Type.Optional(Type.String({ description: 'Left out when the role has none' })),
    permissions: Type.Array(PermissionSchema),
    is_predefined: Type.Boolean({
      description: 'admin, member and annotator: listed with their permissions, never changed',
    }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Role' },
);

export const CreateRoleBody = Type.Object(
  {
    name: Type.String({
      maxLength: 1000,
      description:
        'Trimmed, then 1-255 characters; unique in the account (case-insensitively), and not the ' +
        'name of a predefined role',
    }),
    description: Type.Optional(
      Type.String({ maxLength: 4000, description: `At most ${ROLE_DESCRIPTION_MAX} characters` }),
    ),
    permissions: Permissions,
  },
  { additionalProperties: false },
);

export const UpdateRoleBody = Type.Object(
  {
    name: Type.Optional(CreateRoleBody.properties.name),
    description: Type.Optional(
      Type.Union([Type.String({ maxLength: 4000 }), Type.Null()], {
        description: `At most ${ROLE_DESCRIPTION_MAX} characters; null clears it`,
      }),
    ),
    permissions: Type.Optional({
      ...Permissions,
      description: 'Replaces the role’s permissions; at least one',
    }),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const RoleIdParams = Type.Object({
  role_id: Type.String({ description: 'Global role id' }),
});

export const ListRolesQuery = Type.Object(
  {
    limit: Defaulted(
      Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Page size, 1-100' }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'Opaque cursor from pagination.next_cursor' }),
    ),
    is_predefined: Type.Optional(
      Type.Boolean({
        description: 'true: only the predefined roles; false: only custom roles; left out: both',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ListRolesResponse = Type.Object({
  roles: Type.Array(Type.Unsafe({ $ref: 'Role#' })),
  pagination: Type.Unsafe({ $ref: 'Pagination#' }),
});

export type WireRole = Static<typeof RoleSchema>;

export function toWireRole(role: Role): WireRole {
  return {
    id: encodeId('Role', role.id),
    name: role.name,
    ...(role.description !== null ? { description: role.description } : {}),
    permissions: role.permissions.map((permission) => permission.toLowerCase()),
    is_predefined: role.isPredefined,
    created_at: isoTime(role.createdAt),
    updated_at: isoTime(role.updatedAt),
  };
}

/** Permissions as the request gave them (lower case after http/enum-case.ts), as Arize names them. */
export function fromWirePermissions(permissions: readonly string[]): ArizePermission[] {
  return permissions.map((permission) => permission.toUpperCase() as ArizePermission);
}
