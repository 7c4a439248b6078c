/**
 * Two Roster processes on one database: a user's role changed, or the permissions of the custom
 * role it holds changed, through one process, and the other process, which had the user's key
 * and its owner cached (auth/key-cache.ts), acts on the change at the user's next request.
 */
import { expect, it } from 'vitest';
import { describeEachDatabase, uniqueEmail, type Caller } from '../support/roster.js';
import { useTwoProcesses } from '../support/processes.js';
import { mintKeyForUser } from '../../src/accounts/service.js';

describeEachDatabase('role changes across two processes', (database) => {
  const { first, second, admin, listAtSecond, cachedAtSecond } = useTwoProcesses(database);

  async function newRole(permissions: string[]): Promise<string> {
    const response = await first.api(admin.key, 'POST', '/v2/roles', {
      name: `Role ${uniqueEmail()}`,
      permissions,
    });
    expect(response.status).toBe(201);
    return response.body.id;
  }

  async function holderOf(roleId: string): Promise<Caller> {
    const email = uniqueEmail('holder');
    const created = await first.api(admin.key, 'POST', '/v2/users', {
      name: 'Holder',
      email,
      role: { type: 'custom', id: roleId },
      invite_mode: 'none',
    });
    expect(created.status).toBe(201);
    const made = await mintKeyForUser(first.server.deps, { email, accountId: admin.accountId });
    return { key: made.apiKey, userId: created.body.id, accountId: admin.accountId, email };
  }

  it('a member made an annotator is refused by the other process at its next request', async () => {
    const member = await first.newCaller(admin, 'member');
    await cachedAtSecond(member.key, 200);
    const patched = await first.api(admin.key, 'PATCH', `/v2/users/${member.userId}`, {
      role: { type: 'predefined', name: 'annotator' },
    });
    expect(patched.status).toBe(200);
    expect(await listAtSecond(member.key)).toBe(403);
  });

  it('an annotator given a custom role with USER_READ may list at the other process at once', async () => {
    const annotator = await first.newCaller(admin, 'annotator');
    await cachedAtSecond(annotator.key, 403);
    const patched = await first.api(admin.key, 'PATCH', `/v2/users/${annotator.userId}`, {
      role: { type: 'custom', id: await newRole(['user_read']) },
    });
    expect(patched.status).toBe(200);
    expect(await listAtSecond(annotator.key)).toBe(200);
  });

  it('permissions taken from a custom role apply at the other process at once, and given back too', async () => {
    const roleId = await newRole(['user_read']);
    const holder = await holderOf(roleId);
    await cachedAtSecond(holder.key, 200);
    const narrowed = await first.api(admin.key, 'PATCH', `/v2/roles/${roleId}`, {
      permissions: ['project_read'],
    });
    expect(narrowed.status).toBe(200);
    expect(await listAtSecond(holder.key)).toBe(403);
    await cachedAtSecond(holder.key, 403);
    await first.api(admin.key, 'PATCH', `/v2/roles/${roleId}`, { permissions: ['user_read'] });
    expect(await listAtSecond(holder.key)).toBe(200);
  });

  it('a change made through the second process is seen by the first at once', async () => {
    const roleId = await newRole(['user_read']);
    const holder = await holderOf(roleId);
    for (let i = 0; i < 3; i++) {
      expect((await first.api(holder.key, 'GET', '/v2/users?limit=1')).status).toBe(200);
    }
    const response = await fetch(`${second.url}/v2/roles/${roleId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ permissions: ['dataset_read'] }),
    });
    expect(response.status).toBe(200);
    expect((await first.api(holder.key, 'GET', '/v2/users?limit=1')).status).toBe(403);
  });
});
