/** What the server logs, with secrets redacted. */
import type { FastifyServerOptions } from 'fastify';

/** Query parameters whose values are secrets and must never reach a log line. */
const SECRET_QUERY = /([?&](?:token|api_key|key)=)[^&]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

/**
 * JSON lines, one per event, for a log collector; readable lines instead when `pretty` (the
 * output is a terminal), through pino-pretty.
 */
export function loggerOptions(level: string, pretty = false): FastifyServerOptions['logger'] {
  return {
    level,
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } }
      : {}),
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    serializers: {
      req: (request: { method: string; url: string; ip?: string; id?: string }) => ({
        method: request.method,
        url: redactUrl(request.url),
        remoteAddress: request.ip,
      }),
    },
  };
}
