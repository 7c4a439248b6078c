/** Wire shapes shared by every feature: problems, pagination, enums. */
import { Type, type TSchema } from 'typebox';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URI reference identifying the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'What exactly is wrong' }),
    instance: Type.String({ description: 'The request path' }),
    errors: Type.Optional(
      Type.Array(Type.Object({ field: Type.String(), message: Type.String() }), {
        description: 'One entry per invalid field, for validation errors',
      }),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const ProblemRef = Type.Unsafe<unknown>({ $ref: 'Problem#' });

/**
 * Error responses of a route: each status with the Problem shape and why it happens, under
 * the media type problems are sent with.
 */
export function problems(statuses: Record<number, string>): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const [status, description] of Object.entries(statuses)) {
    out[Number(status)] = Type.Unsafe({
      description,
      content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
    });
  }
  return out;
}

/**
 * A query parameter that may be left out: documented as optional, and typed as always there,
 * since validation fills in its default.
 */
export function Defaulted<T extends TSchema>(schema: T): T {
  return Type.Optional(schema) as unknown as T;
}

/** A string enum; requests may also spell it in upper case (see http/enum-case.ts). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const PaginationSchema = Type.Object(
  {
    has_more: Type.Boolean(),
    next_cursor: Type.Optional(
      Type.String({
        description: 'Pass as `cursor` to get the next page; present only when has_more',
      }),
    ),
  },
  { $id: 'Pagination' },
);

export const PageQuery = {
  limit: Defaulted(
    Type.Integer({ minimum: 1, maximum: 100, default: 50, description: 'Page size, 1-100' }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 200, description: 'Opaque cursor from pagination.next_cursor' }),
  ),
};

/** Routes that take a JSON body. */
export const JSON_BODY_PROBLEMS = {
  413: 'The body is larger than 64 KiB',
  415: 'The body is not application/json',
};

export const AUTH_PROBLEMS = {
  401: 'Missing, malformed, unknown, revoked or expired API key',
  403: "The key's user is not a developer, or is no longer active, or lacks the permission",
  429: 'Too many requests for this API key; see Retry-After',
  503: 'The database cannot be reached just now; try again shortly',
};

/**
 * Marks a route whose JSON body may be left out (a bare POST). @fastify/swagger documents every
 * body as required; `documentOptionalBodies` corrects the document for routes marked so.
 */
export const OPTIONAL_BODY = 'x-optional-body';

type OpenApiDocument = { paths?: Record<string, Record<string, Record<string, unknown>>> };

export function documentOptionalBodies<T>(document: T): T {
  for (const operations of Object.values((document as OpenApiDocument).paths ?? {})) {
    for (const operation of Object.values(operations)) {
      if (!operation[OPTIONAL_BODY]) continue;
      delete operation[OPTIONAL_BODY];
      (operation.requestBody as { required?: boolean }).required = false;
    }
  }
  return document;
}
