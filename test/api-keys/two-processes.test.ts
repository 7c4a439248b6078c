/**
 * Two Roster processes on one database: a key revoked or refreshed, its owner deleted or no
 * longer a developer, through one process, is refused by the other at its next request,
 * although that process had the key and its owner cached (auth/key-cache.ts).
 */
import { expect, it } from 'vitest';
import { describeEachDatabase, type Caller } from '../support/roster.js';
import { useTwoProcesses } from '../support/processes.js';

describeEachDatabase('two processes on one database', (database) => {
  const { first, second, admin, listAtSecond, cachedAtSecond } = useTwoProcesses(database);

  async function keyIdOf(caller: Caller): Promise<string> {
    const keys = await first.api(caller.key, 'GET', '/v2/api-keys');
    return keys.body.api_keys[0].id;
  }

  it('a revoked key is refused by the other process at its next request', async () => {
    const member = await first.newCaller(admin, 'member');
    await cachedAtSecond(member.key);
    const revoked = await first.api(
      member.key,
      'PUT',
      `/v2/api-keys/${await keyIdOf(member)}/revoke`,
    );
    expect(revoked.status).toBe(204);
    expect(await listAtSecond(member.key)).toBe(401);
  });

  it('a refreshed key (no grace period) is refused by the other process at its next request', async () => {
    const member = await first.newCaller(admin, 'member');
    await cachedAtSecond(member.key);
    const refreshed = await first.api(
      member.key,
      'POST',
      `/v2/api-keys/${await keyIdOf(member)}/refresh`,
      {},
    );
    expect(refreshed.status).toBe(200);
    expect(await listAtSecond(member.key)).toBe(401);
    expect(await listAtSecond(refreshed.body.key)).toBe(200);
  });

  it('a deleted user’s key is refused by the other process at its next request', async () => {
    const member = await first.newCaller(admin, 'member');
    await cachedAtSecond(member.key);
    expect((await first.api(admin.key, 'DELETE', `/v2/users/${member.userId}`)).status).toBe(204);
    expect(await listAtSecond(member.key)).toBe(401);
  });

  it('a user who is no longer a developer is refused by the other process at the next request', async () => {
    const member = await first.newCaller(admin, 'member');
    await cachedAtSecond(member.key);
    const patched = await first.api(admin.key, 'PATCH', `/v2/users/${member.userId}`, {
      is_developer: false,
    });
    expect(patched.status).toBe(200);
    expect(await listAtSecond(member.key)).toBe(403);
  });

  it('a change made through the second process is seen by the first at once', async () => {
    const member = await first.newCaller(admin, 'member');
    for (let i = 0; i < 3; i++) {
      expect((await first.api(member.key, 'GET', '/v2/users?limit=1')).status).toBe(200);
    }
    const response = await fetch(`${second.url}/v2/users/${member.userId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.key}` },
    });
    expect(response.status).toBe(204);
    expect((await first.api(member.key, 'GET', '/v2/users?limit=1')).status).toBe(401);
  });
});
