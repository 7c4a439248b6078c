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

/** A string enum of a schema: where it is, and the values it allows there. */
export interface EnumField {
  path: Path;
  values: ReadonlySet<string>;
}

/**
 * The string enums of a schema, shared schemas (`$ref`) followed. Branches of a union that
 * have an enum at one path give one field with all their values.
 */
export function enumFields(
  given: object | undefined,
  resolve: (id: string) => object | undefined,
): EnumField[] {
  const byPath = new Map<string, { path: Path; values: Set<string> }>();
  collect(given, resolve, [], (path, values) => {
    const key = path.join('.');
    const field = byPath.get(key) ?? { path, values: new Set<string>() };
    for (const value of values) field.values.add(value);
    byPath.set(key, field);
  });
  return [...byPath.values()];
}

/** The paths of a schema's string enums (see enumFields). */
export function enumPaths(
  given: object | undefined,
  resolve: (id: string) => object | undefined,
): Path[] {
  return enumFields(given, resolve).map((field) => field.path);
}

function collect(
  given: object | undefined,
  resolve: (id: string) => object | undefined,
  at: Path,
  found: (path: Path, values: string[]) => void,
): void {
  const schema = given as Schema | undefined;
  if (!schema || typeof schema !== 'object') return;
  if (schema.$ref) return collect(resolve(schema.$ref.replace(/#$/, '')), resolve, at, found);
  const values = schema.enum ?? (schema.const !== undefined ? [schema.const] : undefined);
  if (values?.every((value) => typeof value === 'string')) return found(at, values as string[]);
  for (const branch of [
    ...(schema.anyOf ?? []),
    ...(schema.oneOf ?? []),
    ...(schema.allOf ?? []),
  ]) {
    collect(branch, resolve, at, found);
  }
  collect(schema.items, resolve, [...at, '*'], found);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    collect(property, resolve, [...at, name], found);
  }
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
/**
 * Only the enum's own values: where a union puts an enum and free text at one path (a
 * predefined role's name, a custom role's name), the free text is left as it is.
 */
const upperIfIn = (values: ReadonlySet<string>) => (text: string) =>
  values.has(text) ? text.toUpperCase() : text;

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
      .flatMap(([, s]) => enumFields(s, resolve))
      .map((field) => ({ path: field.path, upper: upperIfIn(field.values) }));

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
          for (const field of response) changeAt(payload, field.path, field.upper);
        }
        done(null, payload);
      };
      route.preSerialization = [upperEnums, ...(Array.isArray(own) ? own : [own])];
    }
  });
}
