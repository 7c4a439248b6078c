/**
 * An account always keeps an active admin who may use the API: admins who delete or demote
 * each other at the same instant, the only admin developer demoting themself, and a caller
 * removed while its request waited, whose change is refused inside its transaction.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliOrigin } from '../../src/audit/origin.js';
import {
  describeEachDatabase,
  uniqueEmail,
  type Caller,
  useRoster,
  type TestRoster,
} from '../support/roster.js';
import { decodeId } from '../../src/http/global-id.js';
import { mintKeyForUser } from '../../src/accounts/service.js';
import type { Actor } from '../../src/auth/permissions.js';
import * as users from '../../src/users/service.js';
import * as apiKeys from '../../src/api-keys/service.js';
import { Forbidden } from '../../src/errors.js';
import { lastAdminDeveloperProblem } from '../../src/users/rules.js';
import {
  databaseUrlOf,
  holdSqliteWriteLock,
  startServerProcess,
  type ServerProcess,
} from '../support/processes.js';
import { checkInvariants, countRows } from './invariants.js';

const ROUNDS = 10;
const LOCKOUT = /would leave the account without an active admin who may use the API/;

describe('lastAdminDeveloperProblem', () => {
  const admin = { role: 'admin', state: 'active', isDeveloper: true } as const;

  it('refuses a change that takes away the only active admin developer', () => {
    expect(lastAdminDeveloperProblem(['a'], 'a', { ...admin, isDeveloper: false }, 'X')).toMatch(
      /^X would leave the account without an active admin who may use the API/,
    );
    expect(lastAdminDeveloperProblem(['a'], 'a', { ...admin, state: 'inactive' }, 'X')).toMatch(
      LOCKOUT,
    );
  });

  it('allows it while another remains, and any change that keeps the user one', () => {
    expect(lastAdminDeveloperProblem(['a', 'b'], 'a', { ...admin, state: 'inactive' }, 'X')).toBe(
      undefined,
    );
    expect(lastAdminDeveloperProblem(['a'], 'a', admin, 'X')).toBe(undefined);
    expect(lastAdminDeveloperProblem(['b'], 'a', { ...admin, role: 'member' }, 'X')).toBe(
      undefined,
    );
  });
});

describeEachDatabase('the last active admin developer', (database) => {
  const roster = useRoster(database);
  // The invariants (one of them: an active admin developer in every account) hold after each test.
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  /** A fresh account with exactly two admins, both developers. */
  async function twoAdmins(): Promise<[Caller, Caller]> {
    const first = await roster.newAccount();
    const second = await roster.newCaller(first, 'admin');
    return [first, second];
  }

  async function user(caller: Caller, id: string) {
    return (await roster.api(caller.key, 'GET', `/v2/users/${id}`)).body;
  }

  /** The caller as authentication saw it when its request arrived. */
  function actorOf(caller: Caller): Actor {
    return {
      accountId: caller.accountId,
      userId: decodeId('User', caller.userId)!,
      role: 'admin',
      origin: cliOrigin('test'),
    };
  }

  describe('two admins acting on each other at the same instant, through two processes', () => {
    let processes: ServerProcess[];

    beforeAll(async () => {
      const url = databaseUrlOf(roster);
      processes = await Promise.all([startServerProcess(url), startServerProcess(url)]);
    }, 60_000);
    afterAll(() => {
      for (const { child } of processes ?? []) child.kill('SIGTERM');
    });

    async function send(
      at: ServerProcess,
      caller: Caller,
      method: string,
      path: string,
      body?: object,
    ) {
      const response = await fetch(at.url + path, {
        method,
        headers: {
          authorization: `Bearer ${caller.key}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: await response.text() };
    }

    /**
     * In each of `ROUNDS` accounts with two admins, `a` asks its change of process 0 while `b`
     * asks its own of process 1, all rounds at once. Every request is let in before any commits:
     * on SQLite another process holds the write lock while they all arrive; on PostgreSQL the
     * two processes race as they are. Resolves with each round's admins and their two answers.
     */
    async function race(method: string, body?: object) {
      const rounds = await Promise.all(
        Array.from({ length: ROUNDS }, async () => {
          const [a, b] = await twoAdmins();
          // Each key is used once first, so that neither request writes its last_used_at.
          expect((await send(processes[0]!, a, 'GET', '/v2/users?limit=1')).status).toBe(200);
          expect((await send(processes[1]!, b, 'GET', '/v2/users?limit=1')).status).toBe(200);
          return [a, b] as const;
        }),
      );
      const database = roster.server.deps.config.database;
      const released =
        database.dialect === 'sqlite' ? await holdSqliteWriteLock(database.file, 1000) : undefined;
      const answers = await Promise.all(
        rounds.map(([a, b]) =>
          Promise.all([
            send(processes[0]!, a, method, `/v2/users/${b.userId}`, body),
            send(processes[1]!, b, method, `/v2/users/${a.userId}`, body),
          ]),
        ),
      );
      await released;
      return rounds.map(([a, b], round) => ({
        a,
        b,
        ab: answers[round]![0],
        ba: answers[round]![1],
      }));
    }

    it(`deleting each other: one 204, the other refused (${ROUNDS} rounds)`, async () => {
      for (const [round, { a, b, ab, ba }] of (await race('DELETE')).entries()) {
        const statuses = [ab.status, ba.status];
        expect(
          statuses.filter((s) => s === 204),
          `round ${round}: ${statuses}`,
        ).toHaveLength(1);
        // The loser's caller is gone: 403 inside its transaction (or 401 had its key been
        // revoked before it arrived).
        const loser = ab.status === 204 ? ba : ab;
        expect([401, 403], loser.body).toContain(loser.status);
        const winner = ab.status === 204 ? a : b;
        expect(await user(winner, winner.userId)).toMatchObject({
          status: 'active',
          role: { type: 'predefined', name: 'admin' },
          is_developer: true,
        });
      }
      await checkInvariants(roster.server.deps.db, { now: roster.clock.now() });
    });

    it(`setting each other's is_developer to false: one 200, the other 403 (${ROUNDS} rounds)`, async () => {
      const rounds = await race('PATCH', { is_developer: false });
      for (const [round, { a, b, ab, ba }] of rounds.entries()) {
        const statuses = [ab.status, ba.status];
        expect(
          statuses.filter((s) => s === 200),
          `round ${round}: ${statuses}`,
        ).toHaveLength(1);
        expect(
          statuses.filter((s) => s === 403),
          `round ${round}: ${statuses}`,
        ).toHaveLength(1);
        const winner = ab.status === 200 ? a : b;
        expect((await user(winner, winner.userId)).is_developer).toBe(true);
      }
      await checkInvariants(roster.server.deps.db, { now: roster.clock.now() });
    });

    it(`changing each other's role to member: one 200, the other 403 (${ROUNDS} rounds)`, async () => {
      const rounds = await race('PATCH', { role: { type: 'predefined', name: 'member' } });
      for (const [round, { a, b, ab, ba }] of rounds.entries()) {
        const statuses = [ab.status, ba.status];
        expect(statuses.sort(), `round ${round}: ${statuses}`).toEqual([200, 403]);
        const winner = ab.status === 200 ? a : b;
        expect((await user(winner, winner.userId)).role).toEqual({
          type: 'predefined',
          name: 'admin',
        });
      }
      await checkInvariants(roster.server.deps.db, { now: roster.clock.now() });
    });
  });

  it('the only admin developer setting their own is_developer to false: 409, nothing changed', async () => {
    const owner = await roster.newAccount();
    // Another admin who is not a developer does not count.
    const other = await roster.newCaller(owner, 'admin', false);
    const before = await countRows(roster.server.deps.db, owner.accountId);
    const refused = await roster.api(owner.key, 'PATCH', `/v2/users/${owner.userId}`, {
      name: 'Renamed',
      is_developer: false,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(LOCKOUT);
    expect(await countRows(roster.server.deps.db, owner.accountId)).toEqual(before);
    expect(await user(owner, owner.userId)).toMatchObject({
      name: 'Ada Admin',
      is_developer: true,
    });
    // The owner's key still works, and the CLI can still mint one for them.
    expect((await roster.api(owner.key, 'GET', '/v2/users')).status).toBe(200);
    await expect(
      mintKeyForUser(roster.server.deps, { email: owner.email, accountId: owner.accountId }),
    ).resolves.toMatchObject({ accountId: owner.accountId });

    // Once another admin is a developer, the first may step down.
    expect(
      (await roster.api(owner.key, 'PATCH', `/v2/users/${other.userId}`, { is_developer: true }))
        .status,
    ).toBe(200);
    const stepped = await roster.api(owner.key, 'PATCH', `/v2/users/${owner.userId}`, {
      is_developer: false,
    });
    expect(stepped.status).toBe(200);
    // Then the other is the last one: they cannot step down either.
    const last = await roster.api(other.key, 'PATCH', `/v2/users/${other.userId}`, {
      is_developer: false,
    });
    expect(last.status).toBe(409);
    expect(last.body.detail).toMatch(LOCKOUT);
  });

  describe('a caller removed while its request waited is refused inside the transaction', () => {
    /** Every change, as `actor` asks it of the account of `target` (an admin developer). */
    function everyChange(deps: TestRoster['server']['deps'], actor: Actor, target: Caller) {
      const targetId = decodeId('User', target.userId)!;
      return {
        'delete user': () => users.deleteUser(deps, actor, targetId),
        'set is_developer': () => users.updateUser(deps, actor, targetId, { isDeveloper: false }),
        'rename user': () => users.updateUser(deps, actor, targetId, { name: 'Stale' }),
        'create user': () =>
          users.createUser(deps, actor, {
            name: 'Stale',
            email: uniqueEmail('stale'),
            role: { type: 'predefined', name: 'admin' },
            inviteMode: 'none',
          }),
        'resend invitation': () => users.resendInvitation(deps, actor, targetId),
        'reset password': () => users.resetPassword(deps, actor, targetId),
        'create api key': () => apiKeys.createKey(deps, actor, { keyType: 'user', name: 'stale' }),
      };
    }

    async function expectAllRefused(removed: Caller, remaining: Caller) {
      const deps = roster.server.deps;
      const before = await countRows(deps.db, remaining.accountId);
      const stale = actorOf(removed);
      for (const [name, change] of Object.entries(everyChange(deps, stale, remaining))) {
        await expect(change(), name).rejects.toBeInstanceOf(Forbidden);
      }
      // Keys: the remaining admin's key, which an admin may revoke or refresh.
      const keys = await roster.api(remaining.key, 'GET', '/v2/api-keys');
      const keyId = decodeId('ApiKey', keys.body.api_keys[0].id)!;
      await expect(apiKeys.revokeKey(deps, stale, keyId)).rejects.toBeInstanceOf(Forbidden);
      await expect(apiKeys.refreshKey(deps, stale, keyId, {})).rejects.toBeInstanceOf(Forbidden);
      expect(await countRows(deps.db, remaining.accountId)).toEqual(before);
      expect(await user(remaining, remaining.userId)).toMatchObject({
        status: 'active',
        is_developer: true,
      });
    }

    it('deleted', async () => {
      const [a, b] = await twoAdmins();
      expect((await roster.api(a.key, 'DELETE', `/v2/users/${b.userId}`)).status).toBe(204);
      await expectAllRefused(b, a);
    });

    it('made a non-developer', async () => {
      const [a, b] = await twoAdmins();
      const demoted = await roster.api(a.key, 'PATCH', `/v2/users/${b.userId}`, {
        is_developer: false,
      });
      expect(demoted.status).toBe(200);
      await expectAllRefused(b, a);
    });
  });
});
