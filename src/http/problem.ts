/**
 * The one place where failures become RFC 9457 problem details.
 * Services throw domain errors (errors.ts); routes never build error bodies by hand.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUnavailable } from '../db/errors.js';
import { methodNotAllowed, type RouteTable } from './method-not-allowed.js';
import { readDateTime } from './time.js';
import {
  Conflict,
  DomainError,
  Forbidden,
  Invalid,
  NotFound,
  Unauthorized,
  Unprocessable,
  type FieldError,
} from '../errors.js';

/** The status each kind of domain error answers with. */
const STATUSES = new Map<typeof DomainError, number>([
  [Invalid, 400],
  [Unauthorized, 401],
  [Forbidden, 403],
  [NotFound, 404],
  [Conflict, 409],
  [Unprocessable, 422],
]);

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldError[];
}

export function problem(
  request: FastifyRequest,
  status: number,
  detail: string,
  errors?: FieldError[],
): Problem {
  return {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  detail: string,
  errors?: FieldError[],
): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send(problem(reply.request, status, detail, errors));
}

/** Fastify's own errors that are the client's fault, with what we tell the client. */
function clientErrorDetail(error: FastifyError): string | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Content-Type must be application/json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Request body is too large';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Request body is empty; a JSON object is required';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'Request body is not valid JSON';
    default:
      return undefined;
  }
}

function validationErrors(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const where = (error.validationContext ?? 'body') as string;
    let field = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (v.keyword === 'required') field = [field, params.missingProperty].filter(Boolean).join('.');
    if (v.keyword === 'additionalProperties') {
      field = [field, params.additionalProperty].filter(Boolean).join('.');
      return { field: field || where, message: 'is not a known field' };
    }
    // Ajv is verbose (validation.ts): the error carries the refused value.
    const data = (v as { data?: unknown }).data;
    if (v.keyword === 'format' && params.format === 'date-time' && typeof data === 'string') {
      const read = readDateTime(data);
      if ('problem' in read) return { field: field || where, message: read.problem };
    }
    return { field: field || where, message: v.message ?? 'is invalid' };
  });
}

export function registerProblemHandlers(app: FastifyInstance, routes: RouteTable): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      const status = STATUSES.get(error.constructor as typeof DomainError) ?? 400;
      return sendProblem(reply, status, error.message, error.errors);
    }
    if (error.validation) {
      const errors = validationErrors(error);
      const first = errors[0];
      const detail = first ? `${first.field} ${first.message}` : 'Request is invalid';
      return sendProblem(reply, 400, detail, errors);
    }
    const clientDetail = clientErrorDetail(error);
    if (clientDetail) return sendProblem(reply, error.statusCode ?? 400, clientDetail);
    if (error.statusCode === 429) {
      return sendProblem(reply, 429, 'Too many requests; retry after the time in Retry-After');
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, error.statusCode, 'The request could not be processed');
    }
    if (isUnavailable(error)) {
      request.log.error({ err: error }, 'database unavailable');
      return sendProblem(reply, 503, 'The service is temporarily unavailable; try again shortly');
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, 500, `An unexpected error occurred (request ${request.id})`);
  });

  app.setNotFoundHandler((request, reply) => {
    const allowed = methodNotAllowed(routes, request);
    if (allowed) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        405,
        `${request.method} is not allowed here; use ${allowed.join(', ')}`,
      );
    }
    return sendProblem(reply, 404, `No route for ${request.method} ${request.url.split('?')[0]}`);
  });
}
