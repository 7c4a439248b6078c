/**
 * Two Roster processes on one database: a key revoked or refreshed, its owner deleted or no
 * longer a developer, through one process, is refused by the other at its next request,
 * although that process had the key and its owner cached (auth/key-cache.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A second server, a process of its own, on the same database; resolves with its URL. */
async function startSecondProcess(
  databaseUrl: string,
): Promise<{ url: string; child: ChildProcess }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ROSTER_')),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...env,
      HOST: '127.0.0.1',
      PORT: '0',
      ROSTER_DATABASE_URL: databaseUrl,
      ROSTER_API_RATE_LIMIT: '0',
      ROSTER_LOG_LEVEL: 'info',
    },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match) resolve({ url: match[1]!, child });
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    child.on('exit', (code) => reject(new Error(`second process exited (${code}):\n${output}`)));
  });
}

describeEachDatabase('two processes on one database', (database) => {
  const first = useRoster(database);
  let second: { url: string; child: ChildProcess };
  let admin: Caller;

  beforeAll(async () => {
    second = await startSecondProcess(first.databaseUrl);
    admin = await first.newAccount();
  }, 60_000);

  afterAll(() => {
    second?.child.kill('SIGTERM');
  });

  /** The status of a request made with `key` to the second process. */
  async function statusAtSecond(key: string): Promise<number> {
    const response = await fetch(`${second.url}/v2/users?limit=1`, {
      headers: { authorization: `Bearer ${key}` },
    });
    await response.body?.cancel();
    return response.status;
  }

  /** Uses the key at the second process until it has surely cached it. */
  async function cachedAtSecond(key: string): Promise<void> {
    for (let i = 0; i < 3; i++) expect(await statusAtSecond(key)).toBe(200);
  }

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
    expect(await statusAtSecond(member.key)).toBe(401);
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
    expect(await statusAtSecond(member.key)).toBe(401);
    expect(await statusAtSecond(refreshed.body.key)).toBe(200);
  });

  it('a deleted user’s key is refused by the other process at its next request', async () => {
    const member = await first.newCaller(admin, 'member');
    await cachedAtSecond(member.key);
    expect((await first.api(admin.key, 'DELETE', `/v2/users/${member.userId}`)).status).toBe(204);
    expect(await statusAtSecond(member.key)).toBe(401);
  });

  it('a user who is no longer a developer is refused by the other process at the next request', async () => {
    const member = await first.newCaller(admin, 'member');
    await cachedAtSecond(member.key);
    const patched = await first.api(admin.key, 'PATCH', `/v2/users/${member.userId}`, {
      is_developer: false,
    });
    expect(patched.status).toBe(200);
    expect(await statusAtSecond(member.key)).toBe(403);
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
