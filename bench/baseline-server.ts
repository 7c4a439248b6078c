/**
 * The ceiling of Roster's own stack, measured the same way as Roster in the same run:
 * a bare Fastify server (no plugins, no hooks, no logging) with
 * - GET /read: a User-shaped JSON object of the same size as Roster's, serialized through a
 *   response schema as Roster's routes are;
 * - POST /write: one INSERT of a user-shaped row into the same database engine with the same
 *   settings as Roster's (SQLite: SQLITE_PRAGMAS of src/db/connect.ts, one
 *   connection;
 *   PostgreSQL: a pool of 10), through the driver with no query builder;
 * - with BASELINE_ROSTER_URL (the benchmark's Roster database), the same-work routes of
 *   same-work.ts: GET /v2/users/:id, GET /v2/users and POST /v2/users as Roster does them,
 *   straight on the driver.
 *
 * Usage: PORT=... BASELINE_DATABASE_URL=sqlite:<file>|postgres://... [BASELINE_ROSTER_URL=...]
 *   node --import tsx bench/baseline-server.ts
 */
import Fastify from 'fastify';
import Database from 'better-sqlite3';
import { POSTGRES_OPTIONS, SQLITE_PRAGMAS } from '../src/db/connect.js';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { sameWorkRoutes, userSchema } from './same-work.js';

const TABLE = `
  create table if not exists baseline_users (
    id text primary key,
    account_id text not null,
    email text not null,
    email_normalized text not null unique,
    name text not null,
    role text not null,
    is_developer integer not null,
    state text not null,
    created_at bigint not null,
    updated_at bigint not null
  )`;
const INSERT_COLUMNS =
  'id, account_id, email, email_normalized, name, role, is_developer, state, created_at, updated_at';

type InsertOne = (values: unknown[]) => Promise<void> | void;
function sqliteInsert(file: string): InsertOne {
  const db = new Database(file);
  // Roster's connection settings.
  for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
  db.exec(TABLE);
  const statement = db.prepare(
    `insert into baseline_users (${INSERT_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (values) => void statement.run(values);
}

async function postgresInsert(url: string): Promise<InsertOne> {
  const pool = new pg.Pool({ connectionString: url, options: POSTGRES_OPTIONS, max: 10 });
  await pool.query(TABLE);
  const text = `insert into baseline_users (${INSERT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;
  return async (values) => void (await pool.query(text, values));
}

const databaseUrl = process.env.BASELINE_DATABASE_URL ?? '';
const insert = databaseUrl.startsWith('sqlite:')
  ? sqliteInsert(databaseUrl.slice('sqlite:'.length))
  : await postgresInsert(databaseUrl);

const USER = {
  id: 'VXNlcjowMUtHUkc4QkpRTTMxV1FNMFFXNjY0WDFIWQ==',
  name: 'Claire Kelly',
  email: 'Claire.Kelly.2n9c@example.com',
  created_at: '2026-03-14T09:26:53.000Z',
  status: 'active',
  role: { type: 'predefined', name: 'member' },
  is_developer: true,
};

const app = Fastify();
app.get('/read', { schema: { response: { 200: userSchema } } }, async () => USER);

const rosterUrl = process.env.BASELINE_ROSTER_URL;
if (rosterUrl) await sameWorkRoutes(app, rosterUrl, process.env.BASELINE_SECRET ?? '');

const accountId = '01BASELINE0000000000000000';
app.post<{ Body: { email: string; name: string } }>(
  '/write',
  { schema: { response: { 201: userSchema } } },
  async (request, reply) => {
    const now = Date.now();
    const id = randomBytes(13).toString('hex');
    const { email, name } = request.body;
    await insert([
      id,
      accountId,
      email,
      email.toLowerCase(),
      name,
      'member',
      1,
      'pending',
      now,
      now,
    ]);
    return reply.code(201).send({ ...USER, id, email, name });
  },
);

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3100) });

// Exit normally on a signal, so that --cpu-prof writes its profile.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
