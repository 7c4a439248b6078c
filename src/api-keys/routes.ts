/** HTTP for /v2/api-keys. A caller manages its own keys; admins may manage any key of the account. */
import { keyEndsAt, keyIsRevoked } from '../auth/token-rules.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import type { ApiKeysTable } from '../db/tables.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { decodeId, encodeId } from '../http/global-id.js';
import { isoTime, parseDateTime } from '../http/time.js';
import { NotFound } from '../errors.js';
import {
  AUTH_PROBLEMS,
  Defaulted,
  JSON_BODY_PROBLEMS,
  OPTIONAL_BODY,
  StringEnum,
  problems,
} from '../http/schemas.js';
import * as service from './service.js';

const tags = ['API keys'];

export const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.Optional(Type.String()),
    key_type: StringEnum(['user', 'service'] as const),
    status: StringEnum(['active', 'revoked'] as const),
    redacted_key: Type.String({ description: 'The prefix and the last 4 characters' }),
    created_at: Type.String({ format: 'date-time' }),
    expires_at: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'When the key stops working: its expiry, or the end of its grace period once refreshed',
      }),
    ),
    created_by_user_id: Type.String(),
    last_used_at: Type.Optional(
      Type.String({ format: 'date-time', description: 'May lag by up to a minute' }),
    ),
  },
  { $id: 'ApiKey' },
);

const ApiKeyWithSecret = Type.Object({
  ...ApiKeySchema.properties,
  key: Type.String({ description: 'The secret; shown once, never again' }),
});

const KeyIdParams = Type.Object({ api_key_id: Type.String() });

function toWireKey(key: ApiKeysTable, now: number) {
  const revoked = keyIsRevoked(key, now);
  // A key in its grace period shows when it stops working; a revoked one its own expiry.
  const expiresAt = revoked ? key.expires_at : keyEndsAt(key);
  return {
    id: encodeId('ApiKey', key.id),
    name: key.name,
    ...(key.description !== null ? { description: key.description } : {}),
    key_type: key.key_type,
    status: (revoked ? 'revoked' : 'active') as 'active' | 'revoked',
    redacted_key: key.redacted_key,
    created_at: isoTime(key.created_at),
    ...(expiresAt !== null ? { expires_at: isoTime(expiresAt) } : {}),
    created_by_user_id: encodeId('User', key.created_by_user_id),
    ...(key.last_used_at !== null ? { last_used_at: isoTime(key.last_used_at) } : {}),
  };
}

function internalKeyId(globalId: string): string {
  const id = decodeId('ApiKey', globalId);
  if (!id) throw new NotFound('No API key with this id that you may manage');
  return id;
}

export const apiKeysRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '/api-keys',
    {
      // A service-key request carries fields a user key does not have (organizations...):
      // refuse it for what it is before the body's shape is checked.
      preValidation: async (request) => {
        const body = request.body as { key_type?: unknown } | null;
        if (typeof body === 'object' && body?.key_type === 'service') {
          service.checkKeyType(body.key_type);
        }
      },
      schema: {
        tags,
        operationId: 'create_api_key',
        summary: 'Create an API key for the caller',
        body: Type.Object(
          {
            key_type: StringEnum(['user', 'service'] as const, {
              description: 'Only user keys are supported',
            }),
            name: Type.String({ minLength: 1, maxLength: 255 }),
            description: Type.Optional(Type.String({ maxLength: 1000 })),
            expires_at: Type.Optional(Type.String({ format: 'date-time' })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: ApiKeyWithSecret,
          ...problems({
            400: 'Invalid body, service key, or expires_at in the past',
            409: 'The caller already holds 100 active keys',
            ...JSON_BODY_PROBLEMS,
            ...AUTH_PROBLEMS,
          }),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { row, secret } = await service.createKey(deps, request.actor!, {
        keyType: body.key_type,
        name: body.name,
        description: body.description,
        expiresAt:
          body.expires_at !== undefined ? parseDateTime(body.expires_at, 'expires_at') : undefined,
      });
      return reply.code(201).send({ ...toWireKey(row, deps.clock()), key: secret });
    },
  );

  app.get(
    '/api-keys',
    {
      schema: {
        tags,
        operationId: 'list_api_keys',
        summary: "List the caller's API keys (never the secrets)",
        querystring: Type.Object(
          {
            status: Defaulted(StringEnum(['active', 'revoked'] as const, { default: 'active' })),
            key_type: Type.Optional(StringEnum(['user', 'service'] as const)),
            user_id: Type.Optional(
              Type.String({ description: 'Admins only: list the keys of this user' }),
            ),
            limit: Defaulted(
              Type.Integer({
                minimum: 1,
                maximum: 100,
                default: 50,
                description: 'Page size, 1-100',
              }),
            ),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            api_keys: Type.Array(Type.Unsafe({ $ref: 'ApiKey#' })),
            pagination: Type.Unsafe({ $ref: 'Pagination#' }),
          }),
          ...problems({ 400: 'Invalid query', ...AUTH_PROBLEMS }),
        },
      },
    },
    async (request) => {
      const query = request.query;
      const userId =
        query.user_id !== undefined ? (decodeId('User', query.user_id) ?? 'unknown') : undefined;
      const page = await service.listKeys(deps, request.actor!, {
        status: query.status,
        keyType: query.key_type,
        userId,
        limit: query.limit,
        after:
          query.cursor !== undefined
            ? decodeCursor(deps.serverSecret, 'api-keys', query.cursor)
            : undefined,
      });
      const now = deps.clock();
      return {
        api_keys: page.keys.map((key) => toWireKey(key, now)),
        pagination: page.next
          ? { has_more: true, next_cursor: encodeCursor(deps.serverSecret, 'api-keys', page.next) }
          : { has_more: false },
      };
    },
  );

  app.post(
    '/api-keys/:api_key_id/refresh',
    {
      // The body is optional: a bare POST (no body, no Content-Type) refreshes with defaults.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags,
        operationId: 'refresh_api_key',
        [OPTIONAL_BODY]: true,
        summary: 'Replace a key with a new secret (creator or admin)',
        description:
          'Revokes the old key and issues one with the same name, description and type, in one transaction. ' +
          'Without expires_at the new key keeps the old expiry; later than the old expiry is a 422. ' +
          'grace_period_seconds keeps the old key working that long; its expires_at then shows when it ' +
          'stops. A key in its grace period is refreshed already: refreshing it again is a 409. The body ' +
          'is optional: a bare POST refreshes with these defaults.',
        params: KeyIdParams,
        body: Type.Optional(
          Type.Object(
            {
              expires_at: Type.Optional(Type.String({ format: 'date-time' })),
              grace_period_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
            },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: ApiKeyWithSecret,
          ...problems({
            400: 'Invalid body',
            404: 'No such key you may manage',
            409: 'The key was refreshed already, or a grace period would leave its user over 100 active keys',
            422: 'expires_at later than the old expiry',
            ...JSON_BODY_PROBLEMS,
            ...AUTH_PROBLEMS,
          }),
        },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      const { row, secret } = await service.refreshKey(
        deps,
        request.actor!,
        internalKeyId(request.params.api_key_id),
        {
          expiresAt:
            body.expires_at !== undefined
              ? parseDateTime(body.expires_at, 'expires_at')
              : undefined,
          gracePeriodSeconds: body.grace_period_seconds,
        },
      );
      return { ...toWireKey(row, deps.clock()), key: secret };
    },
  );

  app.put(
    '/api-keys/:api_key_id/revoke',
    {
      schema: {
        tags,
        operationId: 'revoke_api_key',
        summary: 'Revoke a key (creator or admin); 204 again if already revoked',
        params: KeyIdParams,
        response: {
          204: Type.Null({ description: 'Revoked' }),
          ...problems({ 404: 'No such key you may manage', ...AUTH_PROBLEMS }),
        },
      },
    },
    async (request, reply) => {
      await service.revokeKey(deps, request.actor!, internalKeyId(request.params.api_key_id));
      return reply.code(204).send(null);
    },
  );
};
