/**
 * The peer users would pick instead of Roster: Better Auth with its admin plugin, on the same
 * database engine as the Roster it is compared with, served by its own Node handler
 * (`toNodeHandler`) the way its documentation mounts it. Its endpoints are reached as a
 * client reaches them: the admin's session cookie, from signing in by email and password.
 *
 * - `seed` mode: Better Auth's own migrations (getMigrations), then `users` users and an
 *   admin through its public API (`auth.api.createUser`; the users without a password, as
 *   Roster's email_link users have none). Prints one JSON line: the admin's credentials.
 * - serve mode (the default): the handler on 127.0.0.1:PORT, under /api/auth.
 *
 * The database has Roster's settings, so that the comparison is of the software, not of its
 * configuration: SQLite through better-sqlite3 (one connection; SQLITE_PRAGMAS of
 * src/db/connect.ts), PostgreSQL through a pg Pool of 10. Rate limiting is off, as it is for Roster in
 * the benchmark; telemetry is off.
 *
 * Usage: BETTER_AUTH_DATABASE_URL=sqlite:<file>|postgres://... PORT=...
 *   node --import tsx bench/better-auth-server.ts [seed <users>]
 */
import http from 'node:http';
import Database from 'better-sqlite3';
import { POSTGRES_OPTIONS, SQLITE_PRAGMAS } from '../src/db/connect.js';
import pg from 'pg';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { admin } from 'better-auth/plugins/admin';

export const ADMIN_EMAIL = 'bench-admin@example.com';
export const ADMIN_PASSWORD = 'bench-admin-password-0123';

export interface BetterAuthSeed {
  adminEmail: string;
  adminPassword: string;
  users: number;
  seconds: number;
}

function database(url: string) {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length));
    // Roster's connection settings.
    for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
    return db;
  }
  return new pg.Pool({ connectionString: url, options: POSTGRES_OPTIONS, max: 10 });
}

function createAuth(databaseUrl: string, baseURL: string) {
  return betterAuth({
    baseURL,
    basePath: '/api/auth',
    // A fixed secret: the benchmark's sessions are made and checked by this file alone.
    secret: 'roster-bench-better-auth-secret-0123456789abcdef',
    database: database(databaseUrl),
    emailAndPassword: { enabled: true },
    plugins: [admin()],
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    trustedOrigins: [baseURL],
  });
}

async function seed(databaseUrl: string, users: number): Promise<BetterAuthSeed> {
  const started = performance.now();
  const auth = createAuth(databaseUrl, 'http://127.0.0.1');
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  await auth.api.createUser({
    body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, name: 'Bench Admin', role: 'admin' },
  });
  for (let i = 0; i < users; i++) {
    await auth.api.createUser({
      body: { email: `user-${i}@bench.test`, name: `Seeded User ${i}`, role: 'user' },
    });
  }
  return {
    adminEmail: ADMIN_EMAIL,
    adminPassword: ADMIN_PASSWORD,
    users,
    seconds: (performance.now() - started) / 1000,
  };
}

const databaseUrl = process.env.BETTER_AUTH_DATABASE_URL ?? '';
const [mode, count] = process.argv.slice(2);
if (mode === 'seed') {
  const result = await seed(databaseUrl, Number(count ?? 1000));
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
} else {
  const port = Number(process.env.PORT ?? 3200);
  const auth = createAuth(databaseUrl, `http://127.0.0.1:${port}`);
  const server = http.createServer(toNodeHandler(auth));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  // Exit normally on a signal, so that --cpu-prof writes its profile.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => server.close(() => process.exit(0)));
  }
}
