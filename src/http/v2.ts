/**
 * The /v2 API scope: JSON only, enum spelling, per-key rate limit, bearer authentication,
 * then each feature's routes.
 */
import type { FastifyPluginAsync } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Deps } from '../deps.js';
import { authenticate, bearerKey, type KeyActor } from '../auth/bearer.js';
import { sha256 } from '../auth/secrets.js';
import { usersRoutes } from '../users/routes.js';
import { apiKeysRoutes } from '../api-keys/routes.js';
import { registerEnumCase } from './enum-case.js';
import { registerStrictJson } from './json-body.js';
import { Invalid } from '../errors.js';
import { unstorableField } from '../text.js';

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

  if (deps.config.apiRateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      max: deps.config.apiRateLimitPerMinute,
      timeWindow: 60_000,
      ...(redis ? { redis: redis as never, nameSpace: 'roster-rl-' } : {}),
      keyGenerator: (request) => {
        const key = bearerKey(request.headers.authorization);
        return key ? `key:${sha256(key)}` : `ip:${request.ip}`;
      },
      addHeadersOnExceeding: {
        'x-ratelimit-limit': true,
        'x-ratelimit-remaining': true,
        'x-ratelimit-reset': true,
      },
    });
  }

  app.addHook('onRequest', (request, _reply, done) => {
    authenticate(deps, request.headers.authorization).then((actor) => {
      request.actor = actor;
      done();
    }, done);
  });

  // A string the databases cannot store (NUL, a lone surrogate) anywhere in the query or the
  // body is refused here, before any route sees it: the same 400 on SQLite and PostgreSQL.
  app.addHook('preValidation', (request, _reply, done) => {
    const field = unstorableField(request.query, 'query') ?? unstorableField(request.body, 'body');
    if (field === undefined) return done();
    const message = 'must not contain NUL characters or malformed Unicode (lone surrogates)';
    done(new Invalid(`${field} ${message}`, [{ field, message }]));
  });

  await app.register(usersRoutes, { deps });
  await app.register(apiKeysRoutes, { deps });
};
