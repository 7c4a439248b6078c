/**
 * Enum spelling on the wire, in one place.
 *
 * Arize's documentation spells enum values in lower case, its generated SDKs in upper case.
 * Requests may use either spelling (an all-upper-case value is lowered before validation);
 * responses are lower case unless the request carries `sdk-language`, which the official
 * SDKs send on every call: then every enum value in the body is upper case.
 *
 * Which fields are enums is read from each route's schemas (a string `enum` or `const`), so a
 * new enum field needs nothing here.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';

/** Property names from the top of a body; `*` stands for every item of an array. */
type Path = readonly string[];

type Schema = {
  $ref?: string;
  enum?: unknown[];
  const?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};

/** The paths of a schema's string enums, shared schemas (`$ref`) followed. */
export function enumPaths(
  given: object | undefined,
  resolve: (id: string) => object | undefined,
  at: Path = [],
): Path[] {
  const schema = given as Schema | undefined;
  if (!schema || typeof schema !== 'object') return [];
  if (schema.$ref) return enumPaths(resolve(schema.$ref.replace(/#$/, '')), resolve, at);
  const values = schema.enum ?? (schema.const !== undefined ? [schema.const] : undefined);
  if (values?.every((value) => typeof value === 'string')) return [at];
  const found: Path[] = [
    ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].flatMap((s) =>
      enumPaths(s, resolve, at),
    ),
    ...enumPaths(schema.items, resolve, [...at, '*']),
    ...Object.entries(schema.properties ?? {}).flatMap(([name, s]) =>
      enumPaths(s, resolve, [...at, name]),
    ),
  ];
  const seen = new Set<string>();
  return found.filter((path) => !seen.has(path.join('.')) && !!seen.add(path.join('.')));
}

/** Replaces, in place, each string at `path` under `value` by `change(string)`. */
function changeAt(value: unknown, path: Path, change: (text: string) => string): void {
  if (Array.isArray(value)) {
    if (path[0] !== '*') return;
    const rest = path.slice(1);
    value.forEach((item, i) => {
      if (rest.length === 0 && typeof item === 'string') value[i] = change(item);
      else changeAt(item, rest, change);
    });
    return;
  }
  if (typeof value !== 'object' || value === null || path.length === 0) return;
  const [name, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(value, name)) return;
  const record = value as Record<string, unknown>;
  const inner = record[name];
  if (typeof inner === 'string' && (rest.length === 0 || rest[0] === '*')) {
    record[name] = change(inner);
  } else {
    changeAt(inner, rest, change);
  }
}

const lowerIfUpper = (text: string) => (text === text.toUpperCase() ? text.toLowerCase() : text);
const upper = (text: string) => text.toUpperCase();

/**
 * Installs both directions on an encapsulated scope (the /v2 API), before its routes.
 * Callback-style hooks: they await nothing.
 */
export function registerEnumCase(app: FastifyInstance): void {
  const resolve = (id: string) => app.getSchema(id) as object | undefined;
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as
      { body?: Schema; querystring?: Schema; response?: Record<string, Schema> } | undefined;
    const body = enumPaths(schema?.body, resolve);
    const query = enumPaths(schema?.querystring, resolve);
    const response = Object.entries(schema?.response ?? {})
      .filter(([status]) => status.startsWith('2'))
      .flatMap(([, s]) => enumPaths(s, resolve));

    if (body.length > 0 || query.length > 0) {
      const own = route.preValidation ?? [];
      const lowerEnums = (request: FastifyRequest, _reply: unknown, done: () => void) => {
        for (const path of body) changeAt(request.body, path, lowerIfUpper);
        for (const path of query) changeAt(request.query, path, lowerIfUpper);
        done();
      };
      route.preValidation = [lowerEnums, ...(Array.isArray(own) ? own : [own])];
    }
    if (response.length > 0) {
      const own = route.preSerialization ?? [];
      const upperEnums = (
        request: FastifyRequest,
        _reply: unknown,
        payload: unknown,
        done: (error: null, payload: unknown) => void,
      ) => {
        if (request.headers['sdk-language']) {
          for (const path of response) changeAt(payload, path, upper);
        }
        done(null, payload);
      };
      route.preSerialization = [upperEnums, ...(Array.isArray(own) ? own : [own])];
    }
  });
}
