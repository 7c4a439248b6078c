/**
 * The PostgreSQL pool as Kysely's PostgresDialect sees it, with each connection keeping its
 * statements prepared. An unnamed statement is parsed and planned by the server at every run,
 * which costs more than running a lookup by key; a named one (pg's `name`) is parsed once per
 * connection and then only bound and run.
 *
 * A query is named the second time its text comes on a connection (what runs once, as a
 * migration, is not kept), and a connection names at most MAX_NAMED texts: past that, new
 * texts run unnamed. Roster's queries are a few hundred texts, each the same every time.
 */
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

const MAX_NAMED = 500;

interface Connection {
  /** What Kysely is given for this connection: the same object every time it is lent. */
  client: PostgresPoolClient;
  /** Each text seen: its name once named, else null (seen once). */
  texts: Map<string, string | null>;
  named: number;
}

const connections = new WeakMap<pg.PoolClient, Connection>();

function nameFor(connection: Connection, sql: string): string | undefined {
  const name = connection.texts.get(sql);
  if (name) return name;
  if (name === undefined) {
    if (connection.texts.size < 4 * MAX_NAMED) connection.texts.set(sql, null);
    return undefined;
  }
  if (connection.named >= MAX_NAMED) return undefined;
  const named = `roster_${++connection.named}`;
  connection.texts.set(sql, named);
  return named;
}

function wrap(pgClient: pg.PoolClient): Connection {
  const connection: Connection = {
    texts: new Map(),
    named: 0,
    client: {
      query: ((sql: string, parameters: readonly unknown[]) =>
        pgClient.query({
          name: nameFor(connection, sql),
          text: sql,
          values: [...parameters],
        })) as unknown as PostgresPoolClient['query'],
      release: () => pgClient.release(),
    },
  };
  return connection;
}

export function preparingStatements(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const pgClient = await pool.connect();
      let connection = connections.get(pgClient);
      if (!connection) connections.set(pgClient, (connection = wrap(pgClient)));
      return connection.client;
    },
    end: () => pool.end(),
  };
}
