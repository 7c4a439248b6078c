/**
 * Enum spelling on the wire, in one place.
 *
 * Arize's documentation spells enum values in lower case, its generated SDKs in upper case.
 * Requests may use either spelling (an all-upper-case value is lowered before validation);
 * responses are lower case unless the request carries `sdk-language`, which the official
 * SDKs send on every call: then every enum value in the body is upper case.
 */
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';

/** Request fields whose values are enums: body keys, nested under `role`, and query keys. */
const BODY_ENUM_KEYS = ['invite_mode', 'key_type'];
const ROLE_ENUM_KEYS = ['type', 'name'];
const QUERY_ENUM_KEYS = ['status', 'key_type'];

/** Response fields whose values are enums. */
const RESPONSE_ENUM_KEYS = new Set(['status', 'invite_mode', 'key_type']);

function lowerIfUpper(value: unknown): unknown {
  if (typeof value === 'string' && value === value.toUpperCase()) return value.toLowerCase();
  if (Array.isArray(value)) return value.map(lowerIfUpper);
  return value;
}

function lowerKeys(target: Record<string, unknown>, keys: string[]): void {
  for (const key of keys) {
    if (Object.hasOwn(target, key)) target[key] = lowerIfUpper(target[key]);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function lowerRequestEnums(request: FastifyRequest): void {
  if (isRecord(request.body)) {
    lowerKeys(request.body, BODY_ENUM_KEYS);
    if (isRecord(request.body.role)) lowerKeys(request.body.role, ROLE_ENUM_KEYS);
  }
  if (isRecord(request.query)) lowerKeys(request.query, QUERY_ENUM_KEYS);
}

export function upperResponseEnums(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => upperResponseEnums(item));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'role' && isRecord(v)) {
        out[k] = {
          ...v,
          ...(typeof v.type === 'string' ? { type: v.type.toUpperCase() } : {}),
          ...(typeof v.name === 'string' ? { name: v.name.toUpperCase() } : {}),
        };
      } else {
        out[k] = upperResponseEnums(v, k);
      }
    }
    return out;
  }
  if (typeof value === 'string' && key && RESPONSE_ENUM_KEYS.has(key)) return value.toUpperCase();
  return value;
}

const lowerEnums: preValidationHookHandler = (request, _reply, done) => {
  lowerRequestEnums(request);
  done();
};

/**
 * Installs both directions on an encapsulated scope (the /v2 API), before its routes.
 * Callback-style hooks: they await nothing, and an async hook costs a promise per request.
 */
export function registerEnumCase(app: FastifyInstance): void {
  // Requests: only routes that take a body or a query string have enum values to lower,
  // before the route's own preValidation sees them.
  app.addHook('onRoute', (route) => {
    if (!route.schema?.body && !route.schema?.querystring) return;
    const own = route.preValidation ?? [];
    route.preValidation = [lowerEnums, ...(Array.isArray(own) ? own : [own])];
  });
  app.addHook('preSerialization', (request, reply, payload, done) => {
    if (!request.headers['sdk-language']) return done(null, payload);
    const problem = reply
      .getHeader('content-type')
      ?.toString()
      .startsWith('application/problem+json');
    done(null, problem ? payload : upperResponseEnums(payload));
  });
}
