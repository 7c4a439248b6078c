/** HTTP for the users API: schemas, permissions named in docs, status codes. No rules here. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { decodeId } from '../http/global-id.js';
import { NotFound } from '../errors.js';
import { AUTH_PROBLEMS, JSON_BODY_PROBLEMS, problems } from '../http/schemas.js';
import {
  CreateUserBody,
  ListUsersQuery,
  ListUsersResponse,
  UpdateUserBody,
  UserIdParams,
  fromWireRole,
  toWireUser,
} from './schemas.js';
import * as service from './service.js';

const tags = ['Users'];

function internalUserId(globalId: string): string {
  const id = decodeId('User', globalId);
  if (!id) throw new NotFound('No user with this id in your account');
  return id;
}

export const usersRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '/users',
    {
      schema: {
        tags,
        operationId: 'create_user',
        summary: 'Create a user (USER_CREATE)',
        description:
          'The email (case-insensitive) is the idempotency key. No user: 201. Invited + email_link or ' +
          'temporary_password: 200 with the user as it is (no new email or password). Invited or expired + ' +
          "none: activated as an SSO user with the request's name, role and is_developer, 200 (its " +
          'invitation is revoked). Expired + email_link or temporary_password: a new invitation with the ' +
          "request's name, role, is_developer and mode, 201. So whenever a create changes an existing " +
          "user, the request's name, role and is_developer replace the stored ones. Active or deleted: 409.",
        body: CreateUserBody,
        response: {
          201: Type.Unsafe({ $ref: 'CreateUserResponse#' }),
          200: Type.Unsafe({
            $ref: 'User#',
            description: 'The user already existed; see the description',
          }),
          ...problems({
            400: 'Invalid body (names the field), or a custom role id that is no role of the account',
            409: 'A user with this email is active or was deleted',
            ...JSON_BODY_PROBLEMS,
            ...AUTH_PROBLEMS,
            403:
              "The key's user is not a developer or no longer active, lacks USER_CREATE, or gives a " +
              'role with permissions it does not hold (the admin role: admins only)',
          }),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await service.createUser(deps, request.actor!, {
        name: body.name,
        email: body.email,
        ...fromWireRole(body.role),
        inviteMode: body.invite_mode,
        isDeveloper: body.is_developer,
      });
      if (!result.created) return reply.code(200).send(toWireUser(result.user));
      return reply.code(201).send({
        ...toWireUser(result.user),
        invite_mode: result.inviteMode,
        ...(result.temporaryPassword ? { temporary_password: result.temporaryPassword } : {}),
      });
    },
  );

  app.get(
    '/users',
    {
      schema: {
        tags,
        operationId: 'list_users',
        summary: 'List users (USER_READ)',
        description:
          'Sorted by created_at ascending, ties by id; keyset-paginated. Deleted users are never listed.',
        querystring: ListUsersQuery,
        response: {
          200: ListUsersResponse,
          ...problems({ 400: 'Invalid query or cursor', ...AUTH_PROBLEMS }),
        },
      },
    },
    async (request) => {
      const query = request.query;
      const page = await service.listUsers(deps, request.actor!, {
        limit: query.limit,
        after:
          query.cursor !== undefined
            ? decodeCursor(deps.serverSecret, 'users', query.cursor)
            : undefined,
        emailContains: query.email,
        statuses: query.status,
      });
      return {
        users: page.users.map(toWireUser),
        pagination: page.next
          ? { has_more: true, next_cursor: encodeCursor(deps.serverSecret, 'users', page.next) }
          : { has_more: false },
      };
    },
  );

  app.get(
    '/users/:user_id',
    {
      schema: {
        tags,
        operationId: 'get_user',
        summary: 'Get a user (USER_READ)',
        description:
          'Unknown, deleted, other-account users, and callers without USER_READ, all get 404.',
        params: UserIdParams,
        response: {
          200: Type.Unsafe({ $ref: 'User#' }),
          ...problems({ 404: 'No such user', ...AUTH_PROBLEMS }),
        },
      },
    },
    async (request) =>
      toWireUser(
        await service.getUser(deps, request.actor!, internalUserId(request.params.user_id)),
      ),
  );

  app.patch(
    '/users/:user_id',
    {
      schema: {
        tags,
        operationId: 'update_user',
        summary: 'Update a user',
        description:
          'name needs USER_UPDATE; including is_developer or role at all needs the admin role. role is ' +
          "Roster's extension of the contract: a predefined role or { type: custom, id } (an unknown or " +
          "other account's role id is a 400 naming it); the user's keys and sessions act with the new " +
          'role at their next request. Setting a field to its current value changes nothing. Any other ' +
          "field is a 400. Setting is_developer to false on, or taking the admin role from, the account's " +
          'last active admin developer is a 409: an account always keeps one.',
        params: UserIdParams,
        body: UpdateUserBody,
        response: {
          200: Type.Unsafe({ $ref: 'User#' }),
          ...problems({
            400: 'Empty or invalid body, or a custom role id that is no role of the account',
            404: 'No such user',
            409: 'It would leave the account without an active admin developer',
            ...JSON_BODY_PROBLEMS,
            ...AUTH_PROBLEMS,
          }),
        },
      },
    },
    async (request) => {
      const user = await service.updateUser(
        deps,
        request.actor!,
        internalUserId(request.params.user_id),
        {
          name: request.body.name,
          isDeveloper: request.body.is_developer,
          ...(request.body.role !== undefined ? fromWireRole(request.body.role) : {}),
        },
      );
      return toWireUser(user);
    },
  );

  app.delete(
    '/users/:user_id',
    {
      schema: {
        tags,
        operationId: 'delete_user',
        summary: 'Delete (block) a user (USER_DELETE)',
        description:
          'Terminal: the user becomes inactive, its API keys, sessions and pending tokens stop working at ' +
          'once. 204 again for an already deleted user. Deleting yourself is a 400; deleting the ' +
          "account's last active admin developer is a 409.",
        params: UserIdParams,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...problems({
            400: 'You cannot delete yourself',
            404: 'No such user',
            409: 'It would leave the account without an active admin developer',
            ...AUTH_PROBLEMS,
          }),
        },
      },
    },
    async (request, reply) => {
      await service.deleteUser(deps, request.actor!, internalUserId(request.params.user_id));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/users/:user_id/resend-invitation',
    {
      schema: {
        tags,
        operationId: 'resend_user_invitation',
        summary: 'Resend an invitation (USER_CREATE)',
        description:
          'Only for invited users. Revokes the pending link or temporary password and emails a fresh link with a fresh expiry.',
        params: UserIdParams,
        response: {
          204: Type.Null({ description: 'Queued' }),
          ...problems({ 400: 'The user is not invited', 404: 'No such user', ...AUTH_PROBLEMS }),
        },
      },
    },
    async (request, reply) => {
      await service.resendInvitation(deps, request.actor!, internalUserId(request.params.user_id));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/users/:user_id/reset-password',
    {
      schema: {
        tags,
        operationId: 'reset_user_password',
        summary: 'Send a password-reset email (USER_UPDATE)',
        description:
          'Only for active users who have a password. The link lasts 30 minutes and works once.',
        params: UserIdParams,
        response: {
          204: Type.Null({ description: 'Queued' }),
          ...problems({
            400: 'SSO-only user, or registration not finished',
            404: 'No such user',
            ...AUTH_PROBLEMS,
          }),
        },
      },
    },
    async (request, reply) => {
      await service.resetPassword(deps, request.actor!, internalUserId(request.params.user_id));
      return reply.code(204).send(null);
    },
  );
};
