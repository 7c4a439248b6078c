/**
 * The /v2 API scope: JSON only, enum spelling, rate limits and bearer authentication,
 * then each feature's routes.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../deps.js';
import { authenticate, type KeyActor } from '../auth/bearer.js';
import { DomainError } from '../errors.js';
import { usersRoutes } from '../users/routes.js';
import { apiKeysRoutes } from '../api-keys/routes.js';
import { ssoRoutes } from '../sso/routes.js';
import { rolesRoutes } from '../roles/routes.js';
import { auditRoutes } from '../audit/routes.js';
import { registerEnumCase } from './enum-case.js';
import { registerStrictJson } from './json-body.js';
import { Invalid } from '../errors.js';
import { unstorableField } from '../text.js';
import { registerRateLimits } from './rate-limit.js';
import { pathOf } from '../audit/origin.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor?: KeyActor;
  }
}

export interface V2Options {
  deps: Deps;
  /** A Redis client for shared rate limits across processes, when configured. */
  redis?: unknown;
}

export const v2Api: FastifyPluginAsync<V2Options> = async (app, { deps, redis }) => {
  // Only JSON bodies here, strictly parsed: anything else is a 415.
  app.removeContentTypeParser(['text/plain']);
  registerStrictJson(app);
  registerEnumCase(app);

  const limits =
    deps.config.apiRateLimitPerMinute > 0
      ? await registerRateLimits(app, deps.config.apiRateLimitPerMinute, redis)
      : undefined;

  // Rate limits around authentication: a failed authentication counts against the client's
  // address, a successful one against the key's user (http/rate-limit.ts).
  app.addHook('onRequest', async (request, reply) => {
    let failure: DomainError | undefined;
    try {
      const owner = await authenticate(deps, request.headers.authorization);
      // How the request came in, for the audit entry of what it changes: its body is added
      // once parsed (preHandler below).
      const origin = {
        ip: request.ip,
        text: `${request.method} ${pathOf(request.url)}`,
        variables: null as unknown,
        apiKeyId: owner.apiKeyId,
      };
      request.actor = { ...owner, origin };
    } catch (error) {
      // Anything but a refusal (the database is down...) is no fault of the client's.
      if (!(error instanceof DomainError)) throw error;
      failure = error;
    }
    await limits?.count(request, reply);
    if (failure) throw failure;
  });

  // A string the databases cannot store (NUL, a lone surrogate) anywhere in the query or the
  // body is refused here, before any route sees it: the same 400 on SQLite and PostgreSQL.
  app.addHook('preValidation', (request, _reply, done) => {
    const field = unstorableField(request.query, 'query') ?? unstorableField(request.body, 'body');
    if (field === undefined) return done();
    const message = 'must not contain NUL characters or malformed Unicode (lone surrogates)';
    done(new Invalid(`${field} ${message}`, [{ field, message }]));
  });

  // The body as validated (enum spellings lowered), for the audit entry; record.ts removes
  // its secrets when it writes it.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.actor && request.body !== undefined) request.actor.origin.variables = request.body;
    done();
  });

  await app.register(usersRoutes, { deps });
  await app.register(apiKeysRoutes, { deps });
  await app.register(ssoRoutes, { deps });
  await app.register(rolesRoutes, { deps });
  await app.register(auditRoutes, { deps });
};
