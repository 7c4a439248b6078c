/** Builds the Fastify app from the feature plugins. main.ts and the tests both use it. */
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Deps } from './deps.js';
import { registerProblemHandlers, sendProblem } from './http/problem.js';
import { recordRoutes } from './http/method-not-allowed.js';
import { documentFrameworkStatuses } from './http/framework-statuses.js';
import { registerValidation } from './http/validation.js';
import { documentOptionalBodies, PaginationSchema, ProblemSchema } from './http/schemas.js';
import { v2Api } from './http/v2.js';
import {
  CreateUserResponseSchema,
  RoleAssignmentSchema,
  UserRoleSchema,
  UserSchema,
} from './users/schemas.js';
import { ApiKeySchema } from './api-keys/routes.js';
import { SsoSettingsSchema } from './sso/routes.js';
import { RoleSchema } from './roles/schemas.js';
import { AuditLogSchema } from './audit/routes.js';
import { selfServicePages } from './self-service/routes.js';
import { consolePages } from './console/routes.js';
import { layout, notFoundPage } from './self-service/pages.js';
import { loggerOptions } from './http/logging.js';
import { pendingMigrations } from './db/migrate.js';
import { registerMetrics } from './metrics.js';
import { apiDescription, docsHeaders, registerApiReference } from './http/docs.js';

/** Headers of every answer under /docs; its page adds the hash of its start-up script. */
const DOCS_HEADERS = docsHeaders();

/**
 * Headers that depend on the path. Some /v2 answers carry a secret (a temporary password, an
 * API key): no /v2 answer, success or error, may be kept by a browser or a proxy.
 */
function headersByPath(request: FastifyRequest, reply: FastifyReply): void {
  if (request.url.startsWith('/v2')) reply.header('cache-control', 'no-store');
  else if (request.url.startsWith('/docs')) reply.headers(DOCS_HEADERS);
}

export interface AppOptions {
  deps: Deps;
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
  redis?: unknown;
}

export async function buildApp({ deps, logger, redis }: AppOptions): Promise<FastifyInstance> {
  const { timeouts } = deps.config;
  const app = Fastify({
    ...(logger && typeof logger === 'object' && 'child' in logger
      ? { loggerInstance: logger as FastifyServerOptions['loggerInstance'] }
      : { logger: logger ?? loggerOptions(deps.config.logLevel, process.stdout.isTTY === true) }),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: 64 * 1024,
    // `/v2/users/` reaches the same route as `/v2/users`.
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: true },
    trustProxy: false,
    // A client has timeouts.headersMs to send its headers and timeouts.requestMs to send the
    // whole request, or it gets a 408 and the connection is closed (Node checks every second).
    // A connection on which nothing moves for timeouts.requestMs (a client that stops reading
    // its response) is closed; an idle keep-alive connection after timeouts.keepAliveMs.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: 1000 },
    frameworkErrors: (error, request, reply) => {
      headersByPath(request, reply);
      sendProblem(reply, 400, `The request URL is malformed (${error.message.slice(0, 80)})`);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const routes = recordRoutes(app);

  // Callback-style hooks where nothing is awaited: an async hook costs a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    headersByPath(request, reply);
    done(null, payload);
  });
  registerProblemHandlers(app, routes, () => layout(notFoundPage()));

  const sharedSchemas = [
    ProblemSchema,
    PaginationSchema,
    RoleAssignmentSchema,
    UserRoleSchema,
    UserSchema,
    CreateUserResponseSchema,
    ApiKeySchema,
    SsoSettingsSchema,
    RoleSchema,
    AuditLogSchema,
  ];
  for (const schema of sharedSchemas) app.addSchema(schema);
  registerValidation(app, sharedSchemas);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Roster v2 Users API',
        version: '2.0.0',
        description: apiDescription(),
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key' } },
      },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) || `def-${i}`,
    },
    transformObject: (document) =>
      documentFrameworkStatuses(
        documentOptionalBodies(
          'openapiObject' in document ? document.openapiObject : document.swaggerObject,
        ),
      ),
  });
  await registerApiReference(app);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Liveness: the process answers. Readiness: the database answers and its schema is current.
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const pending = await pendingMigrations(deps.db).catch(() => undefined);
    if (pending === undefined) return reply.code(503).send({ status: 'database unreachable' });
    if (pending.length > 0) return reply.code(503).send({ status: 'migrations pending', pending });
    return { status: 'ready' };
  });
  if (deps.metrics) registerMetrics(app, deps.metrics, routes);

  await app.register(v2Api, { prefix: '/v2', deps, redis });
  await app.register(selfServicePages, { deps, pages: [consolePages] });
  return app;
}
