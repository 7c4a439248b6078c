/**
 * The /v2 rate limits: `max` requests a minute for each of
 * - a user, counting every request one of its API keys authenticated: all the keys of a user
 *   draw on one budget, so minting keys brings no more;
 * - a client address, counting every request without a key or whose key failed (malformed,
 *   unknown, revoked, expired, or its owner may not use the API). A valid key is never refused
 *   for its address: behind a proxy every client has the proxy's address, and one client's
 *   failures must not lock the others out.
 * Budgets live in this process, or in Redis when one is configured, shared by every process;
 * while Redis does not answer, requests are let through uncounted (and logged at warn).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';

export interface RateLimits {
  /**
   * Counts a request against its user (once `request.actor` is known) or else its address, and
   * refuses it (429) over the budget.
   */
  count(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

export async function registerRateLimits(
  app: FastifyInstance,
  max: number,
  redis?: unknown,
): Promise<RateLimits> {
  await app.register(rateLimit, {
    global: false,
    max,
    timeWindow: 60_000,
    ...(redis ? { redis: redis as never, nameSpace: 'roster-rl-' } : {}),
    keyGenerator: (request) =>
      request.actor ? `user:${request.actor.userId}` : `ip:${normalizeIP(request.ip)}`,
  });
  const limiter = app.createRateLimit();

  return {
    async count(request, reply) {
      let state;
      try {
        state = await limiter(request);
      } catch (error) {
        // The shared store (Redis) did not answer: the request goes on uncounted rather than
        // failing for want of a counter; each one says so in the log.
        request.log.warn({ err: error }, 'rate limit not counted: Redis did not answer');
        return;
      }
      if (state.isAllowed) return;
      reply.header('x-ratelimit-limit', state.max);
      reply.header('x-ratelimit-remaining', state.remaining);
      reply.header('x-ratelimit-reset', state.ttlInSeconds);
      if (state.isExceeded) {
        reply.header('retry-after', Math.max(1, state.ttlInSeconds));
        throw Object.assign(new Error('Rate limit exceeded'), { statusCode: 429 });
      }
    },
  };
}
