/**
 * Validation errors in the request's own words: each names the field as the request spells it
 * (`role.name`), says what is allowed (an enum lists its values), and appears once. Ajv reports
 * a union (`role`: a predefined or a custom role) as one error per branch and one for the
 * union; here it is one error, from the branch the value's `type` picks.
 */
import type { ErrorObject } from 'ajv';
import type { FieldError } from '../errors.js';
import { readDateTime } from './time.js';

type Schema = { properties?: Record<string, { const?: unknown }>; anyOf?: Schema[] };

const fieldOf = (path: string) => path.replace(/^\//, '').replace(/\//g, '.');

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/** What a single error says about its field. */
function message(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `must be ${article(String(params.type))}`;
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters`;
    case 'minLength':
      return `must be at least ${String(params.limit)} characters`;
    case 'maximum':
      return `must be at most ${String(params.limit)}`;
    case 'minimum':
      return `must be at least ${String(params.limit)}`;
    case 'maxItems':
      return `must have at most ${String(params.limit)} items`;
    case 'format': {
      if (params.format !== 'date-time') return `must be a valid ${String(params.format)}`;
      const read = typeof error.data === 'string' ? readDateTime(error.data) : undefined;
      return read && 'problem' in read
        ? read.problem
        : 'must be a date-time such as 2026-12-31T23:59:59Z';
    }
    case 'minProperties': {
      const known = Object.keys((error.parentSchema as Schema | undefined)?.properties ?? {});
      return known.length > 0
        ? `must give at least one of: ${known.join(', ')}`
        : 'must not be empty';
    }
    default:
      return error.message ?? 'is invalid';
  }
}

/** The `type` each branch of a union requires, and the branch the value's `type` picks. */
function chosenBranch(union: ErrorObject): { index?: number; types: string[] } {
  const branches = (union.schema as Schema[] | undefined) ?? [];
  const types = branches.map((b) => b.properties?.type?.const).filter((t) => typeof t === 'string');
  const given = (union.data as { type?: unknown } | null)?.type;
  const index = branches.findIndex((b) => b.properties?.type?.const === given);
  return { index: index >= 0 ? index : undefined, types: types as string[] };
}

export function validationErrors(errors: ErrorObject[], where: string): FieldError[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const out: FieldError[] = [];
  for (const error of errors) {
    const union = unions.find(
      (u) => u !== error && error.schemaPath.startsWith(`${u.schemaPath}/`),
    );
    if (union) {
      // A branch's error counts only for the branch the value's `type` picks.
      const { index } = chosenBranch(union);
      if (index === undefined || !error.schemaPath.startsWith(`${union.schemaPath}/${index}/`)) {
        continue;
      }
    }
    let field = fieldOf(error.instancePath);
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'anyOf') {
      const { index, types } = chosenBranch(error);
      if (index !== undefined) continue;
      const isObject = typeof error.data === 'object' && error.data !== null;
      out.push(
        isObject && types.length > 0
          ? {
              field: `${field ? `${field}.` : ''}type`,
              message: `must be one of: ${types.join(', ')}`,
            }
          : { field: field || where, message: 'must be an object' },
      );
      continue;
    }
    if (error.keyword === 'required') {
      out.push({
        field: [field, params.missingProperty].filter(Boolean).join('.'),
        message: 'is required',
      });
      continue;
    }
    if (error.keyword === 'additionalProperties') {
      field = [field, params.additionalProperty].filter(Boolean).join('.');
      out.push({ field: field || where, message: 'is not a known field' });
      continue;
    }
    out.push({ field: field || where, message: message(error) });
  }
  const seen = new Set<string>();
  return out.filter(
    (e) => !seen.has(`${e.field} ${e.message}`) && !!seen.add(`${e.field} ${e.message}`),
  );
}
