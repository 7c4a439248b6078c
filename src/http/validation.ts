/**
 * Validation: bodies are checked exactly as sent (no type coercion: "true" is not a boolean);
 * query strings and path parameters are text, so numbers are coerced and a repeated parameter
 * becomes an array. A number in text must be written in decimal digits: Ajv's coercion would
 * also take `0x10`, `1e1`, `+5` and ` 5`. The `date-time` format is time.ts's reader, so
 * validation accepts exactly what the routes can parse.
 */
import type { FastifyInstance } from 'fastify';
import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import { isDateTime } from './time.js';

function ajv(options: Options): Ajv {
  const instance = new Ajv({
    removeAdditional: false,
    useDefaults: true,
    allErrors: false,
    strict: false,
    // Errors carry their schema and value, so that they can be told in words (validation-errors.ts).
    verbose: true,
    ...options,
  });
  addFormats.default(instance);
  instance.addFormat('date-time', { type: 'string', validate: isDateTime });
  return instance;
}

const DECIMAL = /^-?[0-9]{1,15}$/;

/** The top-level properties of an object schema that are numbers (limit, ...). */
function numericProperties(schema: object): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties) return [];
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer' || property.type === 'number')
    .map(([name]) => name);
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** The text validator, after a check that numbers are written as decimal digits. */
function decimalNumbersFirst(validate: Validate, numeric: string[]): Validate {
  if (numeric.length === 0) return validate;
  const checked: Validate = (data) => {
    for (const name of numeric) {
      const value = (data as Record<string, unknown> | null)?.[name];
      const texts = Array.isArray(value) ? value : [value];
      if (texts.some((text) => typeof text === 'string' && !DECIMAL.test(text))) {
        checked.errors = [
          {
            keyword: 'type',
            instancePath: `/${name}`,
            schemaPath: `#/properties/${name}/type`,
            params: { type: 'integer' },
            message: 'must be a whole number written in decimal digits',
          },
        ];
        return false;
      }
    }
    const valid = validate(data);
    checked.errors = validate.errors;
    return valid;
  };
  return checked;
}

export function registerValidation(app: FastifyInstance, sharedSchemas: object[]): void {
  const bodies = ajv({ coerceTypes: false });
  const texts = ajv({ coerceTypes: 'array' });
  for (const schema of sharedSchemas) {
    bodies.addSchema(schema);
    texts.addSchema(schema);
  }
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') return bodies.compile(schema as object);
    return decimalNumbersFirst(texts.compile(schema as object), numericProperties(schema));
  });
}
