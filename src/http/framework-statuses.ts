/**
 * Statuses Fastify answers for every /v2 route before the route's own handler runs, documented
 * in one place on every operation of the OpenAPI document (a route that documents one already
 * keeps its own words):
 * - 405 for a method the path does not take (method-not-allowed.ts), with `Allow`;
 * - 400 for a URL that does not decode (app.ts's frameworkErrors);
 * - for methods that carry a body (POST, PUT, PATCH, DELETE), whatever the route reads of it:
 *   400 for a body that is not JSON, 413 over 64 KiB, 415 when not application/json.
 */
import { JSON_BODY_PROBLEMS } from './schemas.js';

const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

function problem(description: string, extra: Record<string, unknown> = {}) {
  return {
    description,
    ...extra,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

const METHOD_NOT_ALLOWED = problem(
  'This path does not take the request’s method; the Allow header lists those it takes',
  {
    headers: {
      Allow: { description: 'The methods this path takes', schema: { type: 'string' } },
    },
  },
);

type Operation = { responses?: Record<string, unknown> };
type OpenApiDocument = { paths?: Record<string, Record<string, Operation>> };

export function documentFrameworkStatuses<T>(document: T): T {
  for (const [route, operations] of Object.entries((document as OpenApiDocument).paths ?? {})) {
    if (!route.startsWith('/v2')) continue;
    for (const [method, operation] of Object.entries(operations)) {
      const responses = (operation.responses ??= {});
      const body = BODY_METHODS.has(method);
      const add = (status: string, response: unknown) => (responses[status] ??= response);
      add('405', METHOD_NOT_ALLOWED);
      add(
        '400',
        problem(
          body
            ? 'The request is malformed: its URL does not decode, or its body is not valid JSON'
            : 'The request URL does not decode',
        ),
      );
      if (!body) continue;
      add('413', problem(JSON_BODY_PROBLEMS[413]));
      add('415', problem(JSON_BODY_PROBLEMS[415]));
    }
  }
  return document;
}
