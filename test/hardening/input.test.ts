/**
 * One reading of every input, the same on SQLite and PostgreSQL: date-times (no leap seconds,
 * no impossible dates), text the databases cannot store (NUL, lone surrogates) in bodies,
 * query strings and forms, the text policy of human-readable fields (nothing invisible,
 * nothing that reorders or breaks lines), tamper-evident cursors and decimal integers. Every
 * refusal is a 400 that names the field and leaves no committed row behind.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase, uniqueEmail, type Caller, useRoster } from '../support/roster.js';
import { newVisitor } from '../self-service/visitor.js';
import { bootstrapAccount } from '../../src/accounts/service.js';
import { checkInvariants, expectNothingCommitted, snapshotRows } from './invariants.js';

const LEAP_SECOND = '2099-12-31T23:59:60Z';

describeEachDatabase('one reading of every input', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  const db = () => roster.server.deps.db;

  /** The request answers `status`, and no table holds a row it did not hold before. */
  async function refusedWithoutWrites(
    request: () => Promise<{ status: number; body: unknown }>,
    field: string,
  ) {
    const before = await snapshotRows(db());
    const response = await request();
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.body).toMatchObject({ errors: [expect.objectContaining({ field })] });
    await expectNothingCommitted(db(), before, field);
    return response;
  }

  const newKey = (caller: Caller, body: Record<string, unknown>) =>
    roster.api(caller.key, 'POST', '/v2/api-keys', { key_type: 'user', name: 'k', ...body });

  describe('date-times', () => {
    it('a leap second in expires_at is a 400 before the key is written', async () => {
      const response = await refusedWithoutWrites(
        () => newKey(admin, { expires_at: LEAP_SECOND }),
        'expires_at',
      );
      expect((response.body as { detail: string }).detail).toMatch(/leap second/);
    });

    it('a refresh with a leap second leaves the old key working and issues none', async () => {
      const caller = await roster.newCaller(admin, 'member');
      const old = await newKey(caller, { name: 'to refresh' });
      expect(old.status).toBe(201);
      await refusedWithoutWrites(
        () =>
          roster.api(caller.key, 'POST', `/v2/api-keys/${old.body.id}/refresh`, {
            expires_at: LEAP_SECOND,
          }),
        'expires_at',
      );
      expect((await roster.api(old.body.key, 'GET', '/v2/api-keys')).status).toBe(200);
      const listed = await roster.api(caller.key, 'GET', '/v2/api-keys');
      expect(listed.body.api_keys.map((k: { id: string }) => k.id)).toContain(old.body.id);
      expect(
        listed.body.api_keys.filter((k: { name: string }) => k.name === 'to refresh'),
      ).toHaveLength(1);
    });

    it.each([
      ['30 February', '2099-02-30T12:00:00Z'],
      ['past 9999 once in UTC', '9999-12-31T23:30:00-01:00'],
      ['no offset', '2099-01-01T00:00:00'],
    ])('%s is a 400 naming expires_at', async (_label, expiresAt) => {
      await refusedWithoutWrites(() => newKey(admin, { expires_at: expiresAt }), 'expires_at');
    });

    it('an offset is read as the instant it names', async () => {
      const created = await newKey(admin, { expires_at: '2099-06-01T02:00:00.123456+02:00' });
      expect(created.status).toBe(201);
      expect(created.body.expires_at).toBe('2099-06-01T00:00:00.123Z');
    });
  });

  describe('text the databases cannot store', () => {
    it('NUL in the email filter is the same 400 on both databases, not every user', async () => {
      for (const filter of [
        '%00',
        'a%00b',
        'example%00',
        `${encodeURIComponent('\u{1F600}')}%00`,
      ]) {
        const response = await refusedWithoutWrites(
          () => roster.api(admin.key, 'GET', `/v2/users?email=${filter}`),
          'email',
        );
        expect(response.body).toMatchObject({ status: 400 });
      }
    });

    it('malformed UTF-8 in the email filter reads as U+FFFD and finds no one', async () => {
      const response = await roster.api(admin.key, 'GET', '/v2/users?email=%ED%A0%80');
      expect(response.status).toBe(200);
      expect(response.body.users).toEqual([]);
    });

    it.each([
      ['name', { name: 'k\u0000' }],
      ['description', { description: 'nightly\u0000' }],
      ['description', { description: '\u0000' }],
    ])('NUL in an API key %s is a 400 naming it', async (field, body) => {
      await refusedWithoutWrites(() => newKey(admin, body), field);
    });

    it('NUL in a user field, nested or not, is a 400 naming it', async () => {
      const body = {
        name: 'Nul',
        email: uniqueEmail('nul'),
        role: { type: 'predefined', name: 'member\u0000' },
        invite_mode: 'none',
      };
      await refusedWithoutWrites(
        () => roster.api(admin.key, 'POST', '/v2/users', body),
        'role.name',
      );
    });

    it('NUL in the sign-in form is a 400 page, and nothing is recorded', async () => {
      const visitor = newVisitor(roster.url);
      await visitor.get('/login');
      for (const email of [`${admin.email}\u0000`, '\u0000', 'a\u0000@example.com']) {
        const before = await snapshotRows(db());
        const page = await visitor.post('/login', { email, password: 'a password' });
        expect(page.status).toBe(400);
        expect(page.headers['content-type']).toContain('text/html');
        await expectNothingCommitted(db(), before, 'sign-in');
      }
      const forgot = await visitor.post('/password/forgot', { email: `${admin.email}\u0000` });
      expect(forgot.status).toBe(400);
      const query = await visitor.get('/login?account=%00');
      expect(query.status).toBe(400);
    });
  });

  describe('the text policy of human-readable fields', () => {
    it.each([
      ['U+034F combining grapheme joiner', '\u034F'],
      ['U+FE0F variation selector', '\uFE0F'],
      ['U+180B Mongolian free variation selector', '\u180B'],
      ['U+3164 Hangul filler', '\u3164'],
      ['U+2800 braille blank', '\u2800'],
      ['U+200B zero-width space', '\u200B'],
      ['U+2060 word joiner', '\u2060'],
    ])('an email with %s is not a new person who looks like an existing one', async (_l, c) => {
      const email = uniqueEmail('lookalike');
      const first = await roster.api(admin.key, 'POST', '/v2/users', {
        name: 'Original',
        email,
        role: { type: 'predefined', name: 'member' },
        invite_mode: 'none',
      });
      expect(first.status).toBe(201);
      const [local, domain] = email.split('@');
      await refusedWithoutWrites(
        () =>
          roster.api(admin.key, 'POST', '/v2/users', {
            name: 'Impostor',
            email: `${local}${c}@${domain}`,
            role: { type: 'predefined', name: 'admin' },
            invite_mode: 'none',
          }),
        'email',
      );
    });

    it.each([
      ['only invisible characters', '\u200B\u3164\u2800'],
      ['only a variation selector', '\uFE0F'],
      ['a line separator', 'Eve\u2028Bcc: everyone@example.com'],
      ['a paragraph separator', 'Eve\u2029more'],
      ['a right-to-left override', 'Eve\u202Etxt.exe'],
    ])('a user name with %s is refused on create and update', async (_label, name) => {
      await refusedWithoutWrites(
        () =>
          roster.api(admin.key, 'POST', '/v2/users', {
            name,
            email: uniqueEmail('named'),
            role: { type: 'predefined', name: 'member' },
            invite_mode: 'none',
          }),
        'name',
      );
      await refusedWithoutWrites(
        () => roster.api(admin.key, 'PATCH', `/v2/users/${admin.userId}`, { name }),
        'name',
      );
    });

    it.each([
      ['name', { name: 'ci\u0007' }],
      ['name', { name: 'ci\nnext' }],
      ['name', { name: '\u200B\u200B' }],
      ['name', { name: 'ci\u202Egnp' }],
      ['description', { description: 'bell\u0007' }],
      ['description', { description: 'line\r\nbreak' }],
      ['description', { description: 'ci \u2066hidden\u2069' }],
      ['description', { description: 'x\u2028y' }],
      ['description', { description: '\u3164' }],
    ])('an API key %s against the policy is a 400 naming it', async (field, body) => {
      await refusedWithoutWrites(() => newKey(admin, body), field);
    });

    it('a lone surrogate in an API key description is a 400', async () => {
      const before = await snapshotRows(db());
      const response = await roster.api(
        admin.key,
        'POST',
        '/v2/api-keys',
        '{"key_type":"user","name":"k","description":"a\\udc00"}',
      );
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('description');
      await expectNothingCommitted(db(), before, 'lone surrogate');
    });

    it('ordinary names and descriptions are kept as typed', async () => {
      const created = await newKey(admin, { name: ' Dev 👩\u200D💻 ', description: ' José ' });
      expect(created.status).toBe(201);
      expect(created.body.name).toBe('Dev 👩\u200D💻');
      expect(created.body.description).toBe(' José ');
    });

    it('an account name of only invisible characters is refused', async () => {
      await expect(
        bootstrapAccount(roster.server.deps, {
          accountName: '\u3164\u2800',
          email: uniqueEmail('boot'),
          name: 'Boot',
        }),
      ).rejects.toThrow(/account name/);
    });
  });

  describe('cursors and integers', () => {
    async function pages(path: string, key = admin.key) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const separator = path.includes('?') ? '&' : '?';
        const page = await roster.api(
          key,
          'GET',
          `${path}${separator}limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        const items = page.body.users ?? page.body.api_keys;
        ids.push(...items.map((item: { id: string }) => item.id));
        cursor = page.body.pagination.next_cursor;
      } while (cursor);
      return ids;
    }

    it('the cursors the server issues walk the listings', async () => {
      const caller = await roster.newCaller(admin, 'member');
      for (let i = 0; i < 4; i++) await newKey(caller, { name: `walk ${i}` });
      const keys = await pages('/v2/api-keys', caller.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBe(5);
      const users = await pages('/v2/users');
      expect(new Set(users).size).toBe(users.length);
    });

    it('a cursor altered or made up, or from the other listing, is a 400', async () => {
      const caller = await roster.newCaller(admin, 'member');
      for (let i = 0; i < 3; i++) await newKey(caller, { name: `c ${i}` });
      const first = await roster.api(caller.key, 'GET', '/v2/api-keys?limit=1');
      const cursor: string = first.body.pagination.next_cursor;
      expect(cursor.length).toBeLessThanOrEqual(60);
      const altered = `${cursor[0] === 'A' ? 'B' : 'A'}${cursor.slice(1)}`;
      const madeUp = Buffer.from(JSON.stringify([0, admin.userId])).toString('base64url');
      for (const [path, key] of [
        [`/v2/api-keys?cursor=${altered}`, caller.key],
        [`/v2/api-keys?cursor=${madeUp}`, caller.key],
        [`/v2/users?cursor=${cursor}`, admin.key],
      ] as const) {
        await refusedWithoutWrites(() => roster.api(key, 'GET', path), 'cursor');
      }
    });

    it.each(['0x10', '1e1', '+5', ' 5', '5 ', '1_0', '0b1', '٥', 'Infinity'])(
      'limit=%j is a 400 on both listings',
      async (limit) => {
        for (const path of ['/v2/users', '/v2/api-keys']) {
          await refusedWithoutWrites(
            () => roster.api(admin.key, 'GET', `${path}?limit=${encodeURIComponent(limit)}`),
            'limit',
          );
        }
      },
    );

    it('decimal digits are read as before', async () => {
      for (const limit of ['1', '05', '100']) {
        const response = await roster.api(admin.key, 'GET', `/v2/users?limit=${limit}`);
        expect(response.status, limit).toBe(200);
      }
    });
  });
});
