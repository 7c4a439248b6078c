/**
 * The SQLite connection as Kysely's SqliteDialect sees it, keeping its prepared statements.
 * Kysely prepares every query it runs, and preparing (parsing and planning) costs more than
 * running a lookup by key. Kysely runs one query at a time on the connection, so a statement
 * is never used by two queries at once; SQLite re-prepares one by itself after a schema change.
 */
import type Database from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Statements kept per connection; when full, the oldest one goes (the queries are a few dozen). */
const STATEMENT_CACHE_SIZE = 256;

export function keepingStatements(database: Database.Database): SqliteDatabase {
  const statements = new Map<string, Database.Statement>();
  return {
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        if (statements.size >= STATEMENT_CACHE_SIZE) {
          statements.delete(statements.keys().next().value!);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
    close(): void {
      statements.clear();
      database.close();
    },
  };
}
