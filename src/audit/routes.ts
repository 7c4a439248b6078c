/** HTTP for /v2/audit-logs: Arize's list_audit_logs, with Roster's documented extensions. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.js';
import type { AuditEntriesTable } from '../db/tables.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { decodeId, encodeId, type IdType } from '../http/global-id.js';
import { isoTime, parseDateTime } from '../http/time.js';
import { AUTH_PROBLEMS, Defaulted, StringEnum, problems } from '../http/schemas.js';
import * as service from './service.js';

const tags = ['Audit log'];

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const AuditLogSchema = Type.Object(
  {
    id: Type.String(),
    user_id: Nullable(
      Type.String({
        description:
          'The user who acted. Null when no user did: a command run by the operator (roster ' +
          'bootstrap, api-keys create, accounts rename), a failed sign-in, a forgotten-password request',
      }),
    ),
    ip: Nullable(
      Type.String({ description: 'The client address (TCP peer); null for the command line' }),
    ),
    operation_type: StringEnum(['query', 'mutation', 'subscription'] as const, {
      description: 'mutation for every change; Roster records no reads yet',
    }),
    operation_name: Type.String({ description: 'e.g. createUser, refreshApiKey, signIn' }),
    operation_text: Type.String({
      description:
        'The method and path (POST /v2/users, POST /login), or the command (cli api-keys create)',
    }),
    variables: Nullable(
      Type.String({
        description:
          'JSON of the request body (or the command options), every password, temporary ' +
          'password, token and key written as "[redacted]"',
      }),
    ),
    created_at: Type.String({ format: 'date-time' }),
    api_key_id: Nullable(
      Type.String({ description: "Roster's extension: the API key the request carried" }),
    ),
    target: Nullable(
      Type.Object(
        {
          type: Type.String({ description: 'User, ApiKey or Account' }),
          id: Type.String({ description: 'Its global id' }),
        },
        { description: "Roster's extension: what the change is about" },
      ),
    ),
    changes: Nullable(
      Type.Object(
        {
          before: Type.Object({}, { additionalProperties: true }),
          after: Type.Object({}, { additionalProperties: true }),
        },
        {
          description:
            "Roster's extension: for updates, the fields changed, as they were and as they are",
        },
      ),
    ),
  },
  { $id: 'AuditLog', description: 'One change, who made it and how' },
);

export function toWireEntry(entry: AuditEntriesTable) {
  return {
    id: encodeId('AuditLog', entry.id),
    user_id: entry.user_id !== null ? encodeId('User', entry.user_id) : null,
    ip: entry.ip,
    operation_type: entry.operation_type,
    operation_name: entry.operation_name,
    operation_text: entry.operation_text,
    variables: entry.variables,
    created_at: isoTime(Number(entry.created_at)),
    api_key_id: entry.api_key_id !== null ? encodeId('ApiKey', entry.api_key_id) : null,
    target:
      entry.target_type !== null && entry.target_id !== null
        ? { type: entry.target_type, id: encodeId(entry.target_type as IdType, entry.target_id) }
        : null,
    changes:
      entry.changes !== null
        ? (JSON.parse(entry.changes) as { before: object; after: object })
        : null,
  };
}

const ListAuditLogsQuery = Type.Object(
  {
    start_time: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Inclusive lower bound on created_at; default 30 days before end_time',
      }),
    ),
    end_time: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Inclusive upper bound on created_at; default now',
      }),
    ),
    user_id: Type.Optional(
      Type.String({ maxLength: 100, description: 'Only what this user did (a global user id)' }),
    ),
    operation_type: Type.Optional(StringEnum(['query', 'mutation', 'subscription'] as const)),
    limit: Defaulted(
      Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Page size, 1-100' }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'Opaque cursor from pagination.next_cursor' }),
    ),
  },
  { additionalProperties: false },
);

export const auditRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/audit-logs',
    {
      schema: {
        tags,
        operationId: 'list_audit_logs',
        summary: 'List audit log entries, newest first (admin only)',
        description:
          'Every change, through the API, the pages or the command line, has one entry, written ' +
          'in the same transaction as the change. Newest first (created_at, then id), ' +
          'keyset-paginated. Entries are hash-chained per account: `roster audit verify` finds any ' +
          'altered, removed or reordered one. Entries older than ROSTER_AUDIT_RETENTION_DAYS ' +
          '(365) are removed. An unknown user_id matches nothing.',
        querystring: ListAuditLogsQuery,
        response: {
          200: Type.Object({
            logs: Type.Array(Type.Unsafe({ $ref: 'AuditLog#' })),
            pagination: Type.Unsafe({ $ref: 'Pagination#' }),
          }),
          ...problems({
            400: 'Invalid query or cursor, or start_time later than end_time',
            ...AUTH_PROBLEMS,
            403: 'The caller is not an admin (or its key is not usable; see 401)',
          }),
        },
      },
    },
    async (request) => {
      const query = request.query;
      const page = await service.listAuditLogs(deps, request.actor!, {
        startTime:
          query.start_time !== undefined
            ? parseDateTime(query.start_time, 'start_time')
            : undefined,
        endTime:
          query.end_time !== undefined ? parseDateTime(query.end_time, 'end_time') : undefined,
        userId:
          query.user_id !== undefined ? (decodeId('User', query.user_id) ?? 'unknown') : undefined,
        operationType: query.operation_type,
        limit: query.limit,
        before:
          query.cursor !== undefined
            ? decodeCursor(deps.serverSecret, 'audit-logs', query.cursor)
            : undefined,
      });
      return {
        logs: page.entries.map(toWireEntry),
        pagination: page.next
          ? {
              has_more: true,
              next_cursor: encodeCursor(deps.serverSecret, 'audit-logs', page.next),
            }
          : { has_more: false },
      };
    },
  );
};
