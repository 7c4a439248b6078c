/** What the server logs, with secrets redacted. */
import type { FastifyServerOptions } from 'fastify';

/** Query parameters whose values are secrets and must never reach a log line (any case). */
const SECRET_PARAMETERS = new Set(['token', 'api_key', 'key']);

/** A query parameter's name as the server's query parser reads it: `%74oken` is `token`. */
function parameterName(raw: string): string {
  const [name] = [...new URLSearchParams(`${raw}=`).keys()];
  return (name ?? '').toLowerCase();
}

/**
 * The URL with the value of every secret query parameter replaced by `[redacted]`. The query is
 * split into parameters as URLSearchParams splits it, and each name is decoded before it is
 * compared, so no spelling of a name the server would read as `token` escapes. Everything else
 * is kept as it was sent.
 */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return url;
  const parameters = url
    .slice(mark + 1)
    .split('&')
    .map((parameter) => {
      const equals = parameter.indexOf('=');
      const rawName = equals < 0 ? parameter : parameter.slice(0, equals);
      return SECRET_PARAMETERS.has(parameterName(rawName)) ? `${rawName}=[redacted]` : parameter;
    });
  return `${url.slice(0, mark)}?${parameters.join('&')}`;
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
