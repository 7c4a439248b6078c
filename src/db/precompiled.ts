/**
 * Queries on hot paths, built and compiled once. Building a Kysely query and compiling it to
 * SQL costs more than running a lookup by key; a query whose shape never changes (only its
 * values do) can be compiled on first use and then run with each call's values.
 */
import type { CompiledQuery, Compilable, Kysely } from 'kysely';
import type { Tables } from './tables.js';
import type { Trx } from './transaction.js';

type Queryable = Kysely<Tables> | Trx;

/** Stands for a named value while the query is compiled; no real value starts with NUL. */
const PLACEHOLDER = '\u0000precompiled:';

export interface Precompiled<P, R> {
  /** Every row the query returns. */
  all(db: Queryable, values: P): Promise<R[]>;
  /** The first row, or undefined. */
  first(db: Queryable, values: P): Promise<R | undefined>;
}

/**
 * `build` must use each of `names` only as a value (a parameter), never to decide the shape
 * of the query. Compiled once per dialect (SQLite and PostgreSQL spell SQL differently).
 */
export function precompiled<P extends Record<string, unknown>, R>(
  names: readonly (keyof P & string)[],
  build: (db: Queryable, values: P) => Compilable<R>,
): Precompiled<P, R> {
  const compiledByDialect = new Map<unknown, CompiledQuery<R>>();
  const compiledFor = (db: Queryable): CompiledQuery<R> => {
    const dialect = db.getExecutor().adapter.constructor;
    let compiled = compiledByDialect.get(dialect);
    if (!compiled) {
      const placeholders = Object.fromEntries(names.map((name) => [name, PLACEHOLDER + name]));
      compiled = build(db, placeholders as P).compile();
      compiledByDialect.set(dialect, compiled);
    }
    return compiled;
  };
  const run = async (db: Queryable, values: P): Promise<R[]> => {
    const compiled = compiledFor(db);
    const parameters = compiled.parameters.map((parameter) => {
      if (typeof parameter !== 'string' || !parameter.startsWith(PLACEHOLDER)) return parameter;
      return values[parameter.slice(PLACEHOLDER.length)];
    });
    const result = await db.executeQuery<R>({ ...compiled, parameters });
    return result.rows;
  };
  return {
    all: run,
    first: async (db, values) => (await run(db, values))[0],
  };
}
