/**
 * The same-work baselines: bare Fastify routes that do what Roster's users routes do, no more,
 * straight on better-sqlite3 or pg (no query builder, no cache, no batching of commits),
 * against Roster's own database (the same tables, indexes and triggers). They answer the
 * same paths as Roster, so the load generator sends both the very same requests.
 *
 * Every route first checks the API key as Roster does: `Authorization: Bearer <key>`, its
 * SHA-256, one indexed lookup of the key with its owner (api_keys by key_hash, joined to
 * users), the owner's key and user state, the role's permission, and `last_used_at` written
 * at most once a minute. Then:
 * - GET /v2/users/:user_id: the global id decoded, the user read by (account_id, id) with its
 *   live invitation (Roster's join), the status derived, a User through a response schema.
 * - GET /v2/users?limit=&cursor=: Roster's keyset query for one page (limit + 1 rows, the
 *   three statuses, a row-value comparison after a cursor), 50 Users and the next cursor.
 * - POST /v2/users (email_link): the body through a schema, the name and email checked and
 *   the email normalized, then one transaction (BEGIN IMMEDIATE on SQLite) with Roster's
 *   statements: the caller checked again (on PostgreSQL after a share lock on its account, as
 *   every change of Roster's takes), the email's existing row (a 409 if there is one: the
 *   benchmark only creates), the user, the invitation token, the outbox row and the audit
 *   entry, with Roster's columns. The outbox row is leased for a year to a worker that does not
 *   exist, so Roster's outbox worker never sends the baseline's email (Roster's own creates
 *   also deliver theirs, and that counts in Roster's time). The audit entry goes to a table of
 *   the baseline's own with audit_entries' columns and indexes (same_work_audit_entries), so
 *   Roster's sealer never chains it (Roster's own entries are chained, in Roster's time).
 */
import { decodeCursor, encodeCursor } from '../src/cursor.js';
import { isRowId, newId } from '../src/db/ids.js';
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import Database from 'better-sqlite3';
import { POSTGRES_OPTIONS, SQLITE_PRAGMAS } from '../src/db/connect.js';
import pg from 'pg';

interface KeyOwner {
  key_id: string;
  account_id: string;
  user_id: string;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  role: string;
  state: string;
  is_developer: number;
}

interface UserRow {
  id: string;
  account_id: string;
  email: string;
  name: string;
  role: string;
  is_developer: number;
  state: string;
  created_at: number;
  invitation_expires_at: number | null;
}

interface NewRows {
  user: unknown[];
  token: unknown[];
  outbox: unknown[];
  audit: unknown[];
}

interface Standing {
  role: string;
  state: string;
  is_developer: number;
}

type MaybePromise<T> = T | Promise<T>;

interface Store {
  keyOwner(keyHash: string): MaybePromise<KeyOwner | undefined>;
  touchKey(keyId: string, now: number): MaybePromise<unknown>;
  userById(accountId: string, userId: string): MaybePromise<UserRow | undefined>;
  page(
    accountId: string,
    now: number,
    after: [number, string] | undefined,
    limit: number,
  ): MaybePromise<UserRow[]>;
  /**
   * The existing user with this email, or undefined once the new rows are committed; throws
   * a 403 when the caller (`userId`) may no longer create users.
   */
  create(
    accountId: string,
    userId: string,
    emailNormalized: string,
    rows: NewRows,
  ): MaybePromise<unknown>;
}

// Roster's statements, as its query builder writes them (placeholders aside).
const KEY_OWNER =
  'select k.id as key_id, k.account_id, k.user_id, k.expires_at, k.revoked_at, k.last_used_at, ' +
  'u.role, u.state, u.is_developer from api_keys as k inner join users as u on u.id = k.user_id ' +
  'where k.key_hash = ?';
const TOUCH_KEY = 'update api_keys set last_used_at = ? where id = ?';
const WITH_INVITATION =
  'select u.*, t.expires_at as invitation_expires_at from users as u left join user_tokens as t ' +
  'on t.user_id = u.id and t.account_id = u.account_id and t.purpose = ? ' +
  'and t.consumed_at is null and t.revoked_at is null';
const USER_BY_ID = `${WITH_INVITATION} where u.account_id = ? and u.id = ?`;
const USER_BY_EMAIL = `${WITH_INVITATION} where u.account_id = ? and u.email_normalized = ?`;
const PAGE_WHERE =
  ' where u.account_id = ? and (u.state = ? or (u.state = ? and t.expires_at > ?) ' +
  'or (u.state = ? and (t.expires_at is null or t.expires_at <= ?)))';
const PAGE_ORDER = ' order by u.created_at, u.id limit ?';
const FIRST_PAGE = WITH_INVITATION + PAGE_WHERE + PAGE_ORDER;
const NEXT_PAGE = WITH_INVITATION + PAGE_WHERE + ' and (u.created_at, u.id) > (?, ?)' + PAGE_ORDER;
const INSERT_USER =
  'insert into users (id, account_id, email, email_normalized, name, role, is_developer, state, ' +
  'password_hash, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_TOKEN =
  'insert into user_tokens (id, account_id, user_id, purpose, invite_mode, secret_hash, ' +
  'expires_at, created_at, consumed_at, revoked_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const HOLD_ACCOUNT = 'select id from accounts where id = ? for share';
const STANDING =
  'select u.role, u.state, u.is_developer, r.permissions as custom_permissions from users as u ' +
  'left join roles as r on r.id = u.custom_role_id and r.account_id = u.account_id ' +
  'where u.account_id = ? and u.id = ?';
/** The baseline's own copy of audit_entries (see the top of this file). */
const AUDIT_TABLE = 'same_work_audit_entries';
const INSERT_AUDIT =
  `insert into ${AUDIT_TABLE} (id, account_id, created_at, user_id, api_key_id, ip, ` +
  'operation_type, operation_name, operation_text, variables, target_type, target_id, changes, ' +
  'seq, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_OUTBOX =
  'insert into outbox (id, account_id, template, recipient, payload, created_at, status, ' +
  'attempts, next_attempt_at, lease_until, last_error, sent_at) ' +
  'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

const pageParameters = (accountId: string, now: number) =>
  ['invitation', accountId, 'active', 'pending', now, 'pending', now] as unknown[];

/** Whether the caller, as stored now, may still create users. */
function mayCreate(standing: Standing | undefined): boolean {
  return (
    standing?.state === 'active' && standing.is_developer === 1 && !!CAN[standing.role]?.create
  );
}

function sqliteStore(file: string): Store {
  const db = new Database(file);
  // Roster's connection settings.
  for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
  // audit_entries' table and indexes, under names of the baseline's own.
  const ddl = db
    .prepare(
      "select sql from sqlite_master where tbl_name = 'audit_entries' and sql is not null " +
        "and type in ('table', 'index') order by type = 'index'",
    )
    .pluck()
    .all() as string[];
  for (const statement of ddl) {
    db.exec(
      statement
        .replace(/audit_entries/g, AUDIT_TABLE)
        .replace(/^CREATE (UNIQUE )?(TABLE|INDEX)/i, 'CREATE $1$2 IF NOT EXISTS'),
    );
  }
  const standing = db.prepare(STANDING);
  const keyOwner = db.prepare(KEY_OWNER);
  const touchKey = db.prepare(TOUCH_KEY);
  const userById = db.prepare(USER_BY_ID);
  const userByEmail = db.prepare(USER_BY_EMAIL);
  const firstPage = db.prepare(FIRST_PAGE);
  const nextPage = db.prepare(NEXT_PAGE);
  const insertUser = db.prepare(INSERT_USER);
  const insertToken = db.prepare(INSERT_TOKEN);
  const insertOutbox = db.prepare(INSERT_OUTBOX);
  const insertAudit = db.prepare(INSERT_AUDIT);
  const create = db.transaction(
    (accountId: string, userId: string, emailNormalized: string, rows: NewRows) => {
      if (!mayCreate(standing.get(accountId, userId) as Standing | undefined)) {
        throw new HttpError(403, 'Forbidden');
      }
      const existing = userByEmail.get('invitation', accountId, emailNormalized);
      if (existing) return existing;
      insertUser.run(rows.user);
      insertToken.run(rows.token);
      insertOutbox.run(rows.outbox);
      insertAudit.run(rows.audit);
      return undefined;
    },
  );
  return {
    keyOwner: (keyHash) => keyOwner.get(keyHash) as KeyOwner | undefined,
    touchKey: (keyId, now) => touchKey.run(now, keyId),
    userById: (accountId, userId) =>
      userById.get('invitation', accountId, userId) as UserRow | undefined,
    page: (accountId, now, after, limit) =>
      (after
        ? nextPage.all(...pageParameters(accountId, now), ...after, limit)
        : firstPage.all(...pageParameters(accountId, now), limit)) as UserRow[],
    create: (accountId, userId, emailNormalized, rows) =>
      create.immediate(accountId, userId, emailNormalized, rows),
  };
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const INT8_OID = 20;

async function postgresStore(url: string): Promise<Store> {
  // Roster's pool: ten connections, its settings, bigint columns as numbers.
  const pool = new pg.Pool({
    connectionString: url,
    options: POSTGRES_OPTIONS,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? Number
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // Each statement prepared by name on every connection, as Roster's are (src/db/pg-statements.ts).
  const named =
    (name: string, sql: string) =>
    (values: unknown[]): pg.QueryConfig => ({ name, text: numbered(sql), values });
  const keyOwner = named('key_owner', KEY_OWNER);
  const touchKey = named('touch_key', TOUCH_KEY);
  const userById = named('user_by_id', USER_BY_ID);
  const userByEmail = named('user_by_email', USER_BY_EMAIL);
  const firstPage = named('first_page', FIRST_PAGE);
  const nextPage = named('next_page', NEXT_PAGE);
  const insertUser = named('insert_user', INSERT_USER);
  const insertToken = named('insert_token', INSERT_TOKEN);
  const insertOutbox = named('insert_outbox', INSERT_OUTBOX);
  const holdAccount = named('hold_account', HOLD_ACCOUNT);
  const standing = named('standing', STANDING);
  const insertAudit = named('insert_audit', INSERT_AUDIT);
  // audit_entries' columns and indexes, under a name of the baseline's own.
  await pool.query(`create table if not exists ${AUDIT_TABLE} (like audit_entries including all)`);
  return {
    keyOwner: async (keyHash) => (await pool.query(keyOwner([keyHash]))).rows[0],
    touchKey: (keyId, now) => pool.query(touchKey([now, keyId])),
    userById: async (accountId, userId) =>
      (await pool.query(userById(['invitation', accountId, userId]))).rows[0],
    page: async (accountId, now, after, limit) =>
      (
        await (after
          ? pool.query(nextPage([...pageParameters(accountId, now), ...after, limit]))
          : pool.query(firstPage([...pageParameters(accountId, now), limit])))
      ).rows,
    async create(accountId, userId, emailNormalized, rows) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(holdAccount([accountId]));
        const caller = (await client.query(standing([accountId, userId]))).rows[0] as
          Standing | undefined;
        if (!mayCreate(caller)) throw new HttpError(403, 'Forbidden');
        const existing = (
          await client.query(userByEmail(['invitation', accountId, emailNormalized]))
        ).rows[0];
        if (existing) {
          await client.query('rollback');
          return existing;
        }
        await client.query(insertUser(rows.user));
        await client.query(insertToken(rows.token));
        await client.query(insertOutbox(rows.outbox));
        await client.query(insertAudit(rows.audit));
        await client.query('commit');
        return undefined;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;
const LAST_USED_RESOLUTION_MS = 60_000;
const YEAR_MS = 365 * 24 * 3600 * 1000;

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const CAN: Record<string, { read: boolean; create: boolean }> = {
  admin: { read: true, create: true },
  member: { read: true, create: false },
  annotator: { read: false, create: false },
};

async function authenticate(
  store: Store,
  authorization: string | undefined,
): Promise<KeyOwner & { now: number }> {
  const key = /^Bearer ([A-Za-z0-9_\-.~+/]{8,200}=*)$/.exec(authorization ?? '')?.[1];
  if (!key) throw new HttpError(401, 'Missing or malformed Authorization header');
  const owner = await store.keyOwner(crypto.hash('sha256', key, 'hex'));
  const now = Date.now();
  if (!owner) throw new HttpError(401, 'Unknown API key');
  if (owner.revoked_at !== null && owner.revoked_at <= now) throw new HttpError(401, 'Revoked');
  if (owner.expires_at !== null && owner.expires_at <= now) throw new HttpError(401, 'Expired');
  if (owner.state !== 'active' || owner.is_developer !== 1) throw new HttpError(403, 'Forbidden');
  if (owner.last_used_at === null || now - owner.last_used_at >= LAST_USED_RESOLUTION_MS) {
    await store.touchKey(owner.key_id, now);
  }
  return { ...owner, now };
}

function status(row: UserRow, now: number): string {
  if (row.state === 'active') return 'active';
  return row.invitation_expires_at !== null && row.invitation_expires_at > now
    ? 'invited'
    : 'expired';
}

function wireUser(row: UserRow, now: number) {
  return {
    id: Buffer.from(`User:${row.id}`, 'utf8').toString('base64'),
    name: row.name,
    email: row.email,
    created_at: new Date(row.created_at).toISOString(),
    status: status(row, now),
    role: { type: 'predefined', name: row.role },
    is_developer: row.is_developer === 1,
  };
}

const userProperties = {
  id: { type: 'string' },
  name: { type: 'string' },
  email: { type: 'string' },
  created_at: { type: 'string' },
  status: { type: 'string' },
  role: {
    type: 'object',
    properties: { type: { type: 'string' }, name: { type: 'string' } },
  },
  is_developer: { type: 'boolean' },
} as const;
/** A User through a response schema, as Roster's routes serialize one (also the JSON read's). */
export const userSchema = { type: 'object', properties: userProperties } as const;

const createBody = {
  type: 'object',
  required: ['name', 'email', 'role', 'invite_mode'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 1000 },
    email: { type: 'string', maxLength: 1000 },
    role: {
      type: 'object',
      required: ['type', 'name'],
      additionalProperties: false,
      properties: {
        type: { const: 'predefined' },
        name: { enum: ['admin', 'member', 'annotator'] },
      },
    },
    invite_mode: { enum: ['email_link'] },
    is_developer: { type: 'boolean' },
  },
} as const;

interface CreateBody {
  name: string;
  email: string;
  role: { type: 'predefined'; name: string };
  invite_mode: 'email_link';
  is_developer?: boolean;
}

function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

/** Registers the same-work routes on `app`, on the database of `databaseUrl` (Roster's). */
export async function sameWorkRoutes(
  app: FastifyInstance,
  databaseUrl: string,
  secret: string,
): Promise<void> {
  const store = databaseUrl.startsWith('sqlite:')
    ? sqliteStore(databaseUrl.slice('sqlite:'.length))
    : await postgresStore(databaseUrl);

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    void reply.code(error.statusCode ?? 500).send({ title: error.message });
  });

  app.get<{ Params: { user_id: string } }>(
    '/v2/users/:user_id',
    {
      schema: {
        params: {
          type: 'object',
          properties: { user_id: { type: 'string' } },
        },
        response: { 200: userSchema },
      },
    },
    async (request) => {
      const owner = await authenticate(store, request.headers.authorization);
      const notFound = new HttpError(404, 'No user with this id in your account');
      if (!CAN[owner.role]?.read) throw notFound;
      const decoded = Buffer.from(request.params.user_id, 'base64').toString('utf8');
      const id = decoded.startsWith('User:') ? decoded.slice(5) : '';
      if (!isRowId(id)) throw notFound;
      const row = await store.userById(owner.account_id, id);
      if (!row || row.state === 'inactive') throw notFound;
      return wireUser(row, owner.now);
    },
  );

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v2/users',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
            cursor: { type: 'string', maxLength: 200 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              users: { type: 'array', items: userSchema },
              pagination: {
                type: 'object',
                properties: { has_more: { type: 'boolean' }, next_cursor: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const owner = await authenticate(store, request.headers.authorization);
      if (!CAN[owner.role]?.read) throw new HttpError(403, 'Forbidden');
      const { limit, cursor } = request.query;
      let after: [number, string] | undefined;
      if (cursor !== undefined) {
        // Roster's own signed cursors, checked as Roster checks them.
        const position = decodeCursor(secret, 'users', cursor);
        after = [position.createdAt, position.id];
      }
      const rows = await store.page(owner.account_id, owner.now, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        users: page.map((row) => wireUser(row, owner.now)),
        pagination:
          rows.length > limit && last
            ? {
                has_more: true,
                next_cursor: encodeCursor(secret, 'users', {
                  createdAt: last.created_at,
                  id: last.id,
                }),
              }
            : { has_more: false },
      };
    },
  );

  app.post<{ Body: CreateBody }>(
    '/v2/users',
    {
      schema: {
        body: createBody,
        response: {
          201: {
            type: 'object',
            properties: { ...userProperties, invite_mode: { type: 'string' } },
          },
        },
      },
    },
    async (request, reply) => {
      const owner = await authenticate(store, request.headers.authorization);
      if (!CAN[owner.role]?.create) throw new HttpError(403, 'Forbidden');
      const body = request.body;
      const name = body.name.trim();
      if (name.length === 0 || name.length > 255) throw badRequest('name');
      const email = body.email;
      const at = email.indexOf('@');
      if (email.length > 254 || at < 1 || email.indexOf('@', at + 1) >= 0 || /\s/.test(email)) {
        throw badRequest('email');
      }
      const emailNormalized = email.normalize('NFKC').toLowerCase().normalize('NFKC');
      const now = owner.now;
      const role = body.role.name;
      const isDeveloper = body.is_developer ?? role !== 'annotator';
      const userId = newId(now);
      const tokenId = newId(now);
      const expiresAt = now + INVITATION_TTL_MS;
      const accountId = owner.account_id;
      const payload = JSON.stringify({ template: 'invitation', tokenId, userId });
      const existing = await store.create(accountId, owner.user_id, emailNormalized, {
        user: [
          userId,
          accountId,
          email,
          emailNormalized,
          name,
          role,
          isDeveloper ? 1 : 0,
          'pending',
          null,
          now,
          now,
        ],
        token: [
          tokenId,
          accountId,
          userId,
          'invitation',
          'email_link',
          null,
          expiresAt,
          now,
          null,
          null,
        ],
        outbox: [
          newId(now),
          accountId,
          'invitation',
          email,
          payload,
          now,
          'processing',
          1,
          now,
          now + YEAR_MS,
          null,
          null,
        ],
        audit: [
          newId(now),
          accountId,
          now,
          owner.user_id,
          owner.key_id,
          request.ip,
          'mutation',
          'createUser',
          'POST /v2/users',
          JSON.stringify(body),
          'User',
          userId,
          null,
          null,
          null,
          null,
        ],
      });
      if (existing) throw new HttpError(409, 'A user with this email already exists');
      const row: UserRow = {
        id: userId,
        account_id: accountId,
        email,
        name,
        role,
        is_developer: isDeveloper ? 1 : 0,
        state: 'pending',
        created_at: now,
        invitation_expires_at: expiresAt,
      };
      return reply.code(201).send({ ...wireUser(row, now), invite_mode: 'email_link' });
    },
  );
}
