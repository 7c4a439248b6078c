/**
 * Malformed requests against the users API: each must get a 4xx problem+json that says what is
 * wrong, never a 500, no stack or SQL in the body, and change nothing in the database or outbox.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  describeEachDatabase,
  startRoster,
  type Caller,
  type TestRoster,
} from '../support/roster.js';
import { checkInvariants, expectNothingCommitted, snapshotRows } from './invariants.js';

interface Case {
  name: string;
  method: string;
  path: string | ((ids: Ids) => string);
  body?: string | Buffer | (() => ReadableStream<Uint8Array>);
  headers?: Record<string, string>;
  status: number | number[];
  /** Text the problem's detail must contain (what is wrong). */
  detail?: RegExp;
  noKey?: boolean;
}

interface Ids {
  user: string;
  otherAccountUser: string;
  apiKey: string;
  /** A key of the admin that the battery may try to refresh. */
  spareKey: string;
}

const json = (value: unknown) => JSON.stringify(value);
const valid = {
  name: 'Valid Name',
  email: 'valid@example.com',
  role: { type: 'predefined', name: 'member' },
  invite_mode: 'email_link',
};
const withBody = (patch: Record<string, unknown>) => json({ ...valid, ...patch });
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

const CREATE: Case[] = [
  {
    name: 'body over the size limit',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ name: 'x'.repeat(70_000) }),
    status: 413,
    detail: /too large/i,
  },
  {
    name: 'chunked body without a length, over the limit',
    method: 'POST',
    path: '/v2/users',
    body: () =>
      new ReadableStream({
        start(controller) {
          for (let i = 0; i < 80; i++)
            controller.enqueue(new TextEncoder().encode(' '.repeat(1024)));
          controller.close();
        },
      }),
    status: 413,
  },
  {
    name: 'no Content-Type',
    method: 'POST',
    path: '/v2/users',
    body: withBody({}),
    headers: { 'content-type': '' },
    status: 415,
  },
  {
    name: 'text/plain body',
    method: 'POST',
    path: '/v2/users',
    body: withBody({}),
    headers: { 'content-type': 'text/plain' },
    status: 415,
  },
  {
    name: 'form body',
    method: 'POST',
    path: '/v2/users',
    body: 'name=a&email=b',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
  },
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/v2/users',
    body: '{"name": "a",}',
    status: 400,
    detail: /JSON/,
  },
  {
    name: 'truncated JSON',
    method: 'POST',
    path: '/v2/users',
    body: withBody({}).slice(0, 30),
    status: 400,
    detail: /JSON/,
  },
  { name: 'empty body', method: 'POST', path: '/v2/users', body: '', status: 400 },
  { name: 'top-level array', method: 'POST', path: '/v2/users', body: json([valid]), status: 400 },
  { name: 'top-level string', method: 'POST', path: '/v2/users', body: json('hello'), status: 400 },
  { name: 'top-level null', method: 'POST', path: '/v2/users', body: 'null', status: 400 },
  {
    name: 'duplicate keys',
    method: 'POST',
    path: '/v2/users',
    body: withBody({}).replace('{', '{"name":"Evil",'),
    status: 400,
    detail: /duplicate/i,
  },
  { name: 'deep nesting', method: 'POST', path: '/v2/users', body: nested(5000), status: 400 },
  {
    name: 'deeply nested object',
    method: 'POST',
    path: '/v2/users',
    body: deepObject(2000),
    status: 400,
  },
  {
    name: 'huge object',
    method: 'POST',
    path: '/v2/users',
    body: json(Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]))),
    status: 400,
  },
  {
    name: '__proto__ key',
    method: 'POST',
    path: '/v2/users',
    body: withBody({}).replace('{', '{"__proto__":{"polluted":"yes"},'),
    status: 400,
  },
  {
    name: 'constructor.prototype key',
    method: 'POST',
    path: '/v2/users',
    body: withBody({}).replace('{', '{"constructor":{"prototype":{"polluted":"yes"}},'),
    status: 400,
  },
  {
    name: 'unknown field',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ nickname: 'x' }),
    status: 400,
    detail: /nickname/,
  },
  {
    name: 'mass assignment: id',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ id: 'VXNlcjox' }),
    status: 400,
    detail: /id/,
  },
  {
    name: 'mass assignment: status',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ status: 'active' }),
    status: 400,
    detail: /status/,
  },
  {
    name: 'mass assignment: account_id',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ account_id: 'x' }),
    status: 400,
    detail: /account_id/,
  },
  {
    name: 'mass assignment: password_hash',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ password_hash: 'x' }),
    status: 400,
    detail: /password_hash/,
  },
  {
    name: 'name is a number',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ name: 42 }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'email is an array',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: ['a@example.com'] }),
    status: 400,
    detail: /email/,
  },
  {
    name: 'role is a string',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ role: 'member' }),
    status: 400,
    detail: /role/,
  },
  {
    name: 'is_developer is a string',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ is_developer: 'true' }),
    status: 400,
    detail: /is_developer/,
  },
  {
    name: 'name is null',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ name: null }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'name is empty',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ name: '' }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'name is whitespace only',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ name: ' \t\n ' }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'email is empty',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: '' }),
    status: 400,
    detail: /email/,
  },
  {
    name: 'email is whitespace',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: '   ' }),
    status: 400,
    detail: /email/,
  },
  {
    name: 'role name with spaces',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ role: { type: 'predefined', name: ' member ' } }),
    status: 400,
    detail: /role/,
  },
  {
    name: 'invite mode with spaces',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ invite_mode: 'email link' }),
    status: 400,
    detail: /invite_mode/,
  },
  {
    name: 'invite mode in mixed case',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ invite_mode: 'Email_Link' }),
    status: 400,
    detail: /invite_mode/,
  },
  {
    name: 'email over 254 characters',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: `${'a'.repeat(64)}@${'b'.repeat(186)}.com` }),
    status: 400,
    detail: /email/,
  },
  {
    name: 'email local part over 64',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: `${'a'.repeat(65)}@example.com` }),
    status: 400,
    detail: /local part/,
  },
  {
    name: 'email without @',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: 'example.com' }),
    status: 400,
    detail: /@/,
  },
  {
    name: 'email with two @',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: 'a@b@example.com' }),
    status: 400,
    detail: /@/,
  },
  {
    name: 'email with CR/LF (header injection)',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: 'a@example.com\r\nBcc: victim@example.com' }),
    status: 400,
    detail: /email/,
  },
  {
    name: 'email with NUL',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: 'a\u0000@example.com' }),
    status: 400,
    detail: /email/,
  },
  {
    name: 'email with a lone surrogate',
    method: 'POST',
    path: '/v2/users',
    body: '{"name":"x","email":"a\\ud800@example.com","role":{"type":"predefined","name":"member"},"invite_mode":"none"}',
    status: 400,
    detail: /email/,
  },
  {
    name: 'name with a right-to-left override',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ name: 'Bob\u202Egnp.exe' }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'name with a lone surrogate',
    method: 'POST',
    path: '/v2/users',
    body: '{"name":"a\\udc00","email":"x@example.com","role":{"type":"predefined","name":"member"},"invite_mode":"none"}',
    status: 400,
    detail: /name/,
  },
  {
    name: 'unknown custom role',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ role: { type: 'custom', id: 'r1' } }),
    status: 400,
    detail: /r1 is not a custom role/,
  },
  {
    name: 'API key in the query string',
    method: 'POST',
    path: '/v2/users?api_key=KEY',
    body: withBody({}),
    noKey: true,
    status: 401,
    detail: /Authorization/,
  },
];

const PATCH: Case[] = [
  {
    name: 'PATCH {}',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: '{}',
    status: 400,
  },
  {
    name: 'PATCH role that is no role',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ role: { type: 'predefined', name: 'owner' } }),
    status: 400,
    detail: /role/,
  },
  {
    name: 'PATCH role with an unknown custom role',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ role: { type: 'custom', id: 'Um9sZTpub3BlCg==' } }),
    status: 400,
    detail: /Um9sZTpub3BlCg== is not a custom role/,
  },
  {
    name: 'PATCH email',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ email: 'new@example.com' }),
    status: 400,
    detail: /email/,
  },
  {
    name: 'PATCH status',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ status: 'active' }),
    status: 400,
    detail: /status/,
  },
  {
    name: 'PATCH id',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ id: 'x', name: 'n' }),
    status: 400,
    detail: /id/,
  },
  {
    name: 'PATCH password_hash',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ password_hash: 'x' }),
    status: 400,
    detail: /password_hash/,
  },
  {
    name: 'PATCH null name',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ name: null }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'PATCH whitespace name',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ name: '   ' }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'PATCH is_developer as a string',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ is_developer: 'false' }),
    status: 400,
    detail: /is_developer/,
  },
  {
    name: 'PATCH with a malformed id',
    method: 'PATCH',
    path: '/v2/users/not-an-id',
    body: json({ name: 'x' }),
    status: 404,
  },
  {
    name: "PATCH another type's id",
    method: 'PATCH',
    path: (i) => `/v2/users/${i.apiKey}`,
    body: json({ name: 'x' }),
    status: 404,
  },
  {
    name: "PATCH another account's user",
    method: 'PATCH',
    path: (i) => `/v2/users/${i.otherAccountUser}`,
    body: json({ name: 'x' }),
    status: 404,
  },
];

const PATHS_AND_QUERIES: Case[] = [
  { name: 'id with %00', method: 'GET', path: '/v2/users/%00', status: [400, 404] },
  { name: 'id with ../', method: 'GET', path: '/v2/users/..%2F..%2Fetc%2Fpasswd', status: 404 },
  { name: 'id 1 KB long', method: 'GET', path: `/v2/users/${'A'.repeat(1024)}`, status: 404 },
  {
    name: 'id that is bad percent-encoding',
    method: 'GET',
    path: '/v2/users/%E0%A4%A',
    status: [400, 404],
  },
  {
    name: "DELETE another account's user",
    method: 'DELETE',
    path: (i) => `/v2/users/${i.otherAccountUser}`,
    status: 404,
  },
  { name: 'limit=0', method: 'GET', path: '/v2/users?limit=0', status: 400, detail: /limit/ },
  { name: 'limit=101', method: 'GET', path: '/v2/users?limit=101', status: 400, detail: /limit/ },
  { name: 'limit=-1', method: 'GET', path: '/v2/users?limit=-1', status: 400, detail: /limit/ },
  { name: 'limit=abc', method: 'GET', path: '/v2/users?limit=abc', status: 400, detail: /limit/ },
  { name: 'limit=1.5', method: 'GET', path: '/v2/users?limit=1.5', status: 400, detail: /limit/ },
  {
    name: 'forged cursor',
    method: 'GET',
    path: '/v2/users?cursor=eyJpZCI6MX0',
    status: 400,
    detail: /cursor/,
  },
  {
    name: 'cursor with SQL',
    method: 'GET',
    path: `/v2/users?cursor=${encodeURIComponent("1' OR '1'='1")}`,
    status: 400,
    detail: /cursor/,
  },
  {
    name: 'email filter over 255',
    method: 'GET',
    path: `/v2/users?email=${'a'.repeat(256)}`,
    status: 400,
    detail: /email/,
  },
  {
    name: 'unknown status',
    method: 'GET',
    path: '/v2/users?status=deleted',
    status: 400,
    detail: /status/,
  },
  {
    name: 'unknown query parameter',
    method: 'GET',
    path: '/v2/users?sort=name',
    status: 400,
    detail: /sort/,
  },
  {
    name: 'API key in the query string (GET)',
    method: 'GET',
    path: '/v2/users?api_key=KEY',
    noKey: true,
    status: 401,
  },
  { name: 'TRACE on the collection', method: 'TRACE', path: '/v2/users', status: 405 },
  {
    name: 'PUT on the collection',
    method: 'PUT',
    path: '/v2/users',
    body: withBody({}),
    status: 405,
  },
  { name: 'DELETE on the collection', method: 'DELETE', path: '/v2/users', status: 405 },
  {
    name: 'POST on a user',
    method: 'POST',
    path: (i) => `/v2/users/${i.user}`,
    body: '{}',
    status: 405,
  },
];

/** A cursor of the right shape (59 base64url characters) that the server did not sign. */
const MADE_UP_CURSOR = Buffer.concat([
  Buffer.from([0, 0, 0, 0, 0, 1]),
  Buffer.from('01KAR0000000000000000000000'.slice(0, 26), 'latin1'),
  Buffer.alloc(12),
]).toString('base64url');

const key = (patch: Record<string, unknown>) =>
  json({ key_type: 'user', name: 'battery key', ...patch });

/** Text, numbers and times that each database must refuse alike, before anything is written. */
const INPUT: Case[] = [
  ...['0x10', '1e1', '+5', ' 5', '5 ', '05.0', '٥'].flatMap((limit) => [
    {
      name: `users limit=${JSON.stringify(limit)}`,
      method: 'GET',
      path: `/v2/users?limit=${encodeURIComponent(limit)}`,
      status: 400,
      detail: /limit/,
    },
    {
      name: `api-keys limit=${JSON.stringify(limit)}`,
      method: 'GET',
      path: `/v2/api-keys?limit=${encodeURIComponent(limit)}`,
      status: 400,
      detail: /limit/,
    },
  ]),
  {
    name: 'made-up cursor of the right shape',
    method: 'GET',
    path: `/v2/users?cursor=${MADE_UP_CURSOR}`,
    status: 400,
    detail: /cursor/,
  },
  {
    name: 'made-up cursor holding a plain position (time and row id)',
    method: 'GET',
    path: `/v2/users?cursor=${Buffer.from(JSON.stringify([0, '01KAR00000000000000000000A'])).toString('base64url')}`,
    status: 400,
    detail: /cursor/,
  },
  {
    name: 'made-up API-key cursor of the right shape',
    method: 'GET',
    path: `/v2/api-keys?cursor=${MADE_UP_CURSOR}`,
    status: 400,
    detail: /cursor/,
  },
  {
    name: 'email filter with NUL',
    method: 'GET',
    path: '/v2/users?email=a%00b',
    status: 400,
    detail: /email/,
  },
  {
    name: 'email filter that is only NUL',
    method: 'GET',
    path: '/v2/users?email=%00',
    status: 400,
    detail: /email/,
  },
  {
    name: 'API-key name with NUL',
    method: 'POST',
    path: '/v2/api-keys',
    body: key({ name: 'a\u0000b' }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'API-key description with NUL',
    method: 'POST',
    path: '/v2/api-keys',
    body: key({ description: 'a\u0000b' }),
    status: 400,
    detail: /description/,
  },
  {
    name: 'API-key description with a lone surrogate',
    method: 'POST',
    path: '/v2/api-keys',
    body: '{"key_type":"user","name":"k","description":"a\\ud800b"}',
    status: 400,
    detail: /description/,
  },
  {
    name: 'API-key description with a control character',
    method: 'POST',
    path: '/v2/api-keys',
    body: key({ description: 'bell\u0007' }),
    status: 400,
    detail: /description/,
  },
  {
    name: 'API-key description with a right-to-left override',
    method: 'POST',
    path: '/v2/api-keys',
    body: key({ description: 'ci \u202Egnp.exe' }),
    status: 400,
    detail: /description/,
  },
  {
    name: 'API-key name with an escape sequence',
    method: 'POST',
    path: '/v2/api-keys',
    body: key({ name: '\u001b[31mred' }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'API-key name of only a Hangul filler',
    method: 'POST',
    path: '/v2/api-keys',
    body: key({ name: '\u3164' }),
    status: 400,
    detail: /name/,
  },
  ...[
    ['a leap second', '2099-12-31T23:59:60Z', /leap second/],
    ['30 February', '2099-02-30T00:00:00Z', /expires_at/],
    ['a year past 9999 in UTC', '9999-12-31T23:59:59-01:00', /9999/],
    ['no offset', '2099-01-01T00:00:00', /expires_at/],
  ].flatMap(([label, expiresAt, detail]) => [
    {
      name: `API-key create with expires_at of ${label}`,
      method: 'POST',
      path: '/v2/api-keys',
      body: key({ expires_at: expiresAt }),
      status: 400,
      detail: detail as RegExp,
    },
    {
      name: `API-key refresh with expires_at of ${label}`,
      method: 'POST',
      path: (i: Ids) => `/v2/api-keys/${i.spareKey}/refresh`,
      body: json({ expires_at: expiresAt }),
      status: 400,
      detail: detail as RegExp,
    },
  ]),
  {
    name: 'user name of only invisible characters',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ name: '\u200B\u2800\u3164' }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'user name with a line separator',
    method: 'POST',
    path: '/v2/users',
    body: withBody({ name: 'Eve\u2028Bcc: all@example.com' }),
    status: 400,
    detail: /name/,
  },
  {
    name: 'PATCH name of only a braille blank',
    method: 'PATCH',
    path: (i) => `/v2/users/${i.user}`,
    body: json({ name: '\u2800' }),
    status: 400,
    detail: /name/,
  },
  ...['\u034F', '\uFE0F', '\u180B', '\u3164', '\u2800', '\u200B', '\u00AD'].map((c) => ({
    name: `email target with ${c} (looks like an existing user)`,
    method: 'POST',
    path: '/v2/users',
    body: withBody({ email: `target${c}@example.com` }),
    status: 400,
    detail: /email/,
  })),
];

/** node:http for the methods fetch refuses to send (TRACE). */
async function rawRequest(url: string, init: RequestInit): Promise<Response> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: init.method, headers: init.headers as Record<string, string> },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            if (typeof v === 'string') headers.set(k, v);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }));
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describeEachDatabase('bad input', (database) => {
  let roster: TestRoster;
  let admin: Caller;
  let ids: Ids;
  const logs: string[] = [];

  beforeAll(async () => {
    roster = await startRoster(database, { logStream: (line) => logs.push(line) });
    admin = await roster.newAccount();
    const other = await roster.newAccount();
    const user = await roster.api(admin.key, 'POST', '/v2/users', {
      ...valid,
      email: 'target@example.com',
      invite_mode: 'none',
    });
    const keys = await roster.api(admin.key, 'GET', '/v2/api-keys');
    const spare = await roster.api(admin.key, 'POST', '/v2/api-keys', {
      key_type: 'user',
      name: 'spare',
    });
    ids = {
      user: user.body.id,
      otherAccountUser: other.userId,
      apiKey: keys.body.api_keys[0].id,
      spareKey: spare.body.id,
    };
  });
  afterAll(() => roster.close());
  // The invariants hold after every scenario, whatever it did.
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  it.each([...CREATE, ...PATCH, ...PATHS_AND_QUERIES, ...INPUT].map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const before = await snapshotRows(roster.server.deps.db);
      const path = typeof c.path === 'function' ? c.path(ids) : c.path.replace('KEY', admin.key);
      const body = typeof c.body === 'function' ? c.body() : c.body;
      const send = c.method === 'TRACE' ? rawRequest : fetch;
      const response = await send(roster.url + path, {
        method: c.method,
        headers: {
          ...(c.noKey ? {} : { authorization: `Bearer ${admin.key}` }),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...c.headers,
        },
        body,
        ...(typeof c.body === 'function' ? { duplex: 'half' } : {}),
      } as RequestInit);
      const text = await response.text();
      const expected = Array.isArray(c.status) ? c.status : [c.status];
      expect(expected, text).toContain(response.status);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const problem = JSON.parse(text);
      expect(problem).toMatchObject({
        status: response.status,
        type: expect.any(String),
        title: expect.any(String),
        instance: expect.any(String),
      });
      if (c.detail) expect(problem.detail).toMatch(c.detail);
      expect(text).not.toMatch(
        /\bat .+\.(ts|js):\d+|select |insert |update |sqlite|postgres|node_modules/i,
      );
      // No committed row from a request that answered 4xx or 5xx, in any table.
      expect(response.status).toBeGreaterThanOrEqual(400);
      await expectNothingCommitted(roster.server.deps.db, before, c.name);
    },
  );

  it('leaves the prototype of plain objects unpolluted', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never answered a 500, and the invariants hold', async () => {
    expect(logs.join('\n')).not.toMatch(/"statusCode":500/);
    await checkInvariants(roster.server.deps.db, { secrets: [admin.key], logs: logs.join('\n') });
  });
});
