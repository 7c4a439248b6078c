/** HTTP for /v2/roles: schemas, status codes. No rules here. Every route is the admin's. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { decodeId } from '../http/global-id.js';
import { NotFound } from '../errors.js';
import { AUTH_PROBLEMS, JSON_BODY_PROBLEMS, problems } from '../http/schemas.js';
import {
  CreateRoleBody,
  ListRolesQuery,
  ListRolesResponse,
  RoleIdParams,
  UpdateRoleBody,
  fromWirePermissions,
  toWireRole,
} from './schemas.js';
import * as service from './service.js';

const tags = ['Roles'];

const ADMIN_PROBLEMS = {
  ...AUTH_PROBLEMS,
  403: "The key's user is not an admin (roles are the admin's), not a developer, or no longer active",
};

function internalRoleId(globalId: string): string {
  const id = decodeId('Role', globalId);
  if (!id) throw new NotFound('No role with this id in your account');
  return id;
}

export const rolesRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '/roles',
    {
      schema: {
        tags,
        operationId: 'create_role',
        summary: 'Create a custom role (admin)',
        description:
          "A role of the account with a set of Arize permissions, which users may then hold ({ type: 'custom', " +
          'id }). Roster enforces user_read, user_create, user_update and user_delete; the other permissions ' +
          'are kept and returned as given.',
        body: CreateRoleBody,
        response: {
          201: Type.Unsafe({ $ref: 'Role#' }),
          ...problems({
            400: 'Invalid body (names the field): no permissions, an unknown permission, a bad name',
            409: 'The account has a role of this name, or it is the name of a predefined role',
            ...JSON_BODY_PROBLEMS,
            ...ADMIN_PROBLEMS,
          }),
        },
      },
    },
    async (request, reply) => {
      const role = await service.createRole(deps, request.actor!, {
        name: request.body.name,
        description: request.body.description,
        permissions: fromWirePermissions(request.body.permissions),
      });
      return reply.code(201).send(toWireRole(role));
    },
  );

  app.get(
    '/roles',
    {
      schema: {
        tags,
        operationId: 'list_roles',
        summary: 'List roles (admin)',
        description:
          'The predefined roles (admin, member, annotator, with is_predefined true) then the custom roles, ' +
          'sorted by created_at then id; keyset-paginated.',
        querystring: ListRolesQuery,
        response: {
          200: ListRolesResponse,
          ...problems({ 400: 'Invalid query or cursor', ...ADMIN_PROBLEMS }),
        },
      },
    },
    async (request) => {
      const query = request.query;
      const page = await service.listRoles(deps, request.actor!, {
        limit: query.limit,
        after:
          query.cursor !== undefined
            ? decodeCursor(deps.serverSecret, 'roles', query.cursor)
            : undefined,
        isPredefined: query.is_predefined,
      });
      return {
        roles: page.roles.map(toWireRole),
        pagination: page.next
          ? { has_more: true, next_cursor: encodeCursor(deps.serverSecret, 'roles', page.next) }
          : { has_more: false },
      };
    },
  );

  app.get(
    '/roles/:role_id',
    {
      schema: {
        tags,
        operationId: 'get_role',
        summary: 'Get a role (admin)',
        params: RoleIdParams,
        response: {
          200: Type.Unsafe({ $ref: 'Role#' }),
          ...problems({ 404: 'No such role in your account', ...ADMIN_PROBLEMS }),
        },
      },
    },
    async (request) =>
      toWireRole(
        await service.getRole(deps, request.actor!, internalRoleId(request.params.role_id)),
      ),
  );

  app.patch(
    '/roles/:role_id',
    {
      schema: {
        tags,
        operationId: 'update_role',
        summary: 'Update a custom role (admin)',
        description:
          'name, description (null clears it) and/or permissions (which replace the old set). The ' +
          "role's holders act with its new permissions at their next request. A predefined role cannot " +
          'be changed (400).',
        params: RoleIdParams,
        body: UpdateRoleBody,
        response: {
          200: Type.Unsafe({ $ref: 'Role#' }),
          ...problems({
            400: 'Empty or invalid body, or a predefined role',
            404: 'No such role in your account',
            409: 'The account has another role of this name, or it is the name of a predefined role',
            ...JSON_BODY_PROBLEMS,
            ...ADMIN_PROBLEMS,
          }),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const role = await service.updateRole(
        deps,
        request.actor!,
        internalRoleId(request.params.role_id),
        {
          name: body.name,
          description: body.description,
          permissions: body.permissions && fromWirePermissions(body.permissions),
        },
      );
      return toWireRole(role);
    },
  );

  app.delete(
    '/roles/:role_id',
    {
      schema: {
        tags,
        operationId: 'delete_role',
        summary: 'Delete a custom role (admin)',
        description:
          'A role that users hold is a 409 that says how many; give them another role first. A ' +
          'predefined role cannot be deleted (400).',
        params: RoleIdParams,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...problems({
            400: 'A predefined role',
            404: 'No such role in your account',
            409: 'Users hold the role (the detail says how many)',
            ...ADMIN_PROBLEMS,
          }),
        },
      },
    },
    async (request, reply) => {
      await service.deleteRole(deps, request.actor!, internalRoleId(request.params.role_id));
      return reply.code(204).send(null);
    },
  );
};
