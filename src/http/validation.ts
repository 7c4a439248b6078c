/**
 * Validation: bodies are checked exactly as sent (no type coercion: "true" is not a boolean);
 * query strings and path parameters are text, so numbers are coerced and a repeated parameter
 * becomes an array.
 */
import type { FastifyInstance } from 'fastify';
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';

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
  return instance;
}

export function registerValidation(app: FastifyInstance, sharedSchemas: object[]): void {
  const bodies = ajv({ coerceTypes: false });
  const texts = ajv({ coerceTypes: 'array' });
  for (const schema of sharedSchemas) {
    bodies.addSchema(schema);
    texts.addSchema(schema);
  }
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodies : texts).compile(schema as object),
  );
}
