/**
 * Queries on hot paths, built and compiled once. Building a Kysely query and compiling it to
 * SQL costs more than running a lookup by key; a query whose shape never changes (only its
 * values do) can be compiled on first use and then run with each call's values.
 */
import {
  Kysely,
  type CompiledQuery,
  type Compilable,
  type DatabaseConnection,
  type QueryResult,
} from 'kysely';
import { directReadsOf, heldStatementsOf } from './connect.js';
import type { Tables } from './tables.js';
import type { Trx } from './transaction.js';

type Queryable = Kysely<Tables> | Trx;

/** Stands for a named value while the query is compiled; no real value starts with NUL. */
const PLACEHOLDER = '\u0000precompiled:';

export interface Precompiled<P, R> {
  /** Runs the query with these values. */
  execute(db: Queryable, values: P): Promise<QueryResult<R>>;
  /** Every row the query returns. */
  all(db: Queryable, values: P): Promise<R[]>;
  /** The first row, or undefined. */
  first(db: Queryable, values: P): Promise<R | undefined>;
}

export interface PrecompiledOptions {
  /**
   * On SQLite, outside transactions, the answer may be kept while the database is unchanged
   * (see DirectReads.kept in connect.ts): for reads on every request whose answer rarely
   * changes.
   */
  keep?: boolean;
}

function precompiledWith<P extends object, R>(
  names: readonly (keyof P & string)[],
  compile: (db: Queryable, placeholders: P) => Promise<CompiledQuery<R>>,
  options: PrecompiledOptions,
): Precompiled<P, R> {
  // SQLite and PostgreSQL spell SQL differently: compiled once per dialect.
  const compiledByDialect = new Map<unknown, Promise<CompiledQuery<R>>>();
  // The same once compiled, so that a query runs without waiting on a promise first.
  const ready = new Map<unknown, CompiledQuery<R>>();
  const compiledFor = (db: Queryable, dialect: unknown): Promise<CompiledQuery<R>> => {
    let compiled = compiledByDialect.get(dialect);
    if (!compiled) {
      const placeholders = Object.fromEntries(names.map((name) => [name, PLACEHOLDER + name]));
      compiled = compile(db, placeholders as P).then((query) => {
        ready.set(dialect, query);
        return query;
      });
      compiledByDialect.set(dialect, compiled);
    }
    return compiled;
  };
  const bind = (compiled: CompiledQuery<R>, values: P): unknown[] =>
    compiled.parameters.map((parameter) => {
      if (typeof parameter !== 'string' || !parameter.startsWith(PLACEHOLDER)) return parameter;
      return (values as Record<string, unknown>)[parameter.slice(PLACEHOLDER.length)];
    });
  // The rows read at once on the connection (see DirectReads), or undefined.
  const readNow = (db: Queryable, compiled: CompiledQuery<R>, parameters: unknown[]) => {
    const direct = directReadsOf(db as Kysely<Tables>);
    const rows = options.keep
      ? direct?.kept(compiled.sql, parameters)
      : direct?.now(compiled.sql, parameters);
    return rows as R[] | undefined;
  };
  // One path for every call. A compiled query that the connection can answer at once is
  // answered without an async step per layer: the key and user lookups run on every request,
  // and a create's statements in the write batch that holds the connection (holdStatements).
  const run = <T>(db: Queryable, values: P, pick: (result: QueryResult<R>) => T): Promise<T> => {
    const dialect = db.getExecutor().adapter.constructor;
    const compiled = ready.get(dialect);
    if (!compiled) return compiledFor(db, dialect).then(() => run(db, values, pick));
    try {
      const parameters = bind(compiled, values);
      const rows = readNow(db, compiled, parameters);
      if (rows) return Promise.resolve(pick({ rows }));
      const held = heldStatementsOf(db);
      if (held) return Promise.resolve(pick(held(compiled.sql, parameters) as QueryResult<R>));
      return db.executeQuery<R>({ ...compiled, parameters }).then(pick);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    execute: (db, values) => run(db, values, (result) => result),
    all: (db, values) => run(db, values, (result) => result.rows),
    first: (db, values) => run(db, values, (result) => result.rows[0]),
  };
}

/**
 * `build` must use each of `names` only as a value (a parameter), never to decide the shape
 * of the query.
 */
export function precompiled<P extends object, R>(
  names: readonly (keyof P & string)[],
  build: (db: Queryable, values: P) => Compilable<R>,
  options: PrecompiledOptions = {},
): Precompiled<P, R> {
  return precompiledWith(
    names,
    async (db, placeholders) => build(db, placeholders).compile(),
    options,
  );
}

/**
 * The same for a function that builds and runs its one query in a single call (a store
 * function whose builder is not exported): it is called once against a connection that
 * records the compiled query instead of running it.
 */
export function precompiledCall<P extends object, R>(
  names: readonly (keyof P & string)[],
  call: (db: Kysely<Tables>, values: P) => Promise<unknown>,
  options: PrecompiledOptions = {},
): Precompiled<P, R> {
  return precompiledWith(
    names,
    async (db, placeholders) => {
      const recorded: CompiledQuery[] = [];
      const connection: DatabaseConnection = {
        executeQuery: async <O>(query: CompiledQuery) => {
          recorded.push(query);
          return { rows: [] as O[] };
        },
        // eslint-disable-next-line require-yield
        streamQuery: async function* () {
          throw new Error('a precompiled call cannot stream');
        },
      };
      const executor = db.getExecutor();
      const recorder = new Kysely<Tables>({
        dialect: {
          createAdapter: () => executor.adapter,
          createQueryCompiler: () => ({
            compileQuery: (node, queryId) => executor.compileQuery(node, queryId),
          }),
          createIntrospector: () => {
            throw new Error('a precompiled call cannot introspect');
          },
          createDriver: () => ({
            init: async () => {},
            acquireConnection: async () => connection,
            beginTransaction: async () => {},
            commitTransaction: async () => {},
            rollbackTransaction: async () => {},
            releaseConnection: async () => {},
            destroy: async () => {},
          }),
        },
      });
      await call(recorder, placeholders);
      await recorder.destroy();
      if (recorded.length !== 1) {
        throw new Error(`a precompiled call must run exactly one query; it ran ${recorded.length}`);
      }
      return recorded[0] as CompiledQuery<R>;
    },
    options,
  );
}
