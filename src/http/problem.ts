/**
 * The one place where failures become RFC 9457 problem details.
 * Services throw domain errors (errors.ts); routes never build error bodies by hand.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUnavailable } from '../db/errors.js';
import { methodNotAllowed, type RouteTable } from './method-not-allowed.js';
import { validationErrors } from './validation-errors.js';
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

/** The status a domain error answers with, on a page as in the API. */
export function domainErrorStatus(error: DomainError): number {
  return STATUSES.get(error.constructor as typeof DomainError) ?? 400;
}

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

/**
 * `notFoundPage`: the HTML a visitor's browser gets for a path that is no page (the API's
 * callers, and any request under /v2, get a problem).
 */
export function registerProblemHandlers(
  app: FastifyInstance,
  routes: RouteTable,
  notFoundPage: () => string,
): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      return sendProblem(reply, domainErrorStatus(error), error.message, error.errors);
    }
    if (error.validation) {
      const errors = validationErrors(error.validation, error.validationContext ?? 'body');
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
    const path = request.url.split('?')[0] ?? '';
    const visitor = !path.startsWith('/v2') && /\btext\/html\b/.test(request.headers.accept ?? '');
    if (visitor) return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage());
    return sendProblem(reply, 404, `No route for ${request.method} ${path}`);
  });
}
