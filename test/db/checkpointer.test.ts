/**
 * On SQLite the server's WAL is copied back into the database file by a connection on a
 * thread of its own, not by the connection that serves requests (src/db/checkpointer.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../src/db/checkpointer.js';
import { startRoster, type Caller, type TestRoster } from '../support/roster.js';

/** Frames in the WAL and frames already copied into the database, from the wal-index. */
function walState(file: string): { frames: number; copied: number } {
  const shm = fs.readFileSync(`${file}-shm`).subarray(0, 136);
  const read = (offset: number) =>
    os.endianness() === 'LE' ? shm.readUInt32LE(offset) : shm.readUInt32BE(offset);
  // WalIndexHdr.mxFrame, then WalCkptInfo.nBackfill after the header's two copies.
  return { frames: read(16), copied: read(96) };
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

describe('the WAL is checkpointed off the serving connection', () => {
  let roster: TestRoster;
  let admin: Caller;
  let file: string;

  beforeAll(async () => {
    roster = await startRoster('sqlite');
    admin = await roster.newAccount();
    file = path.join(roster.dataDir, 'roster.db');
  });
  afterAll(() => roster.close());

  it('copies what the server commits into the database file soon after, far below the WAL threshold', async () => {
    // Each creates a user through the API and gives it a key.
    for (let i = 0; i < 5; i++) await roster.newCaller(admin, 'member');
    const written = walState(file);
    expect(written.frames).toBeGreaterThan(0);
    // The server's own checkpoint waits for 10,000 pages; these creates wrote a few dozen.
    expect(written.frames).toBeLessThan(10_000);
    expect(await until(() => walState(file).copied >= written.frames, 3000)).toBe(true);
  });

  it('stops checkpointing when stopped', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-checkpoint-'));
    const own = path.join(directory, 'stop.db');
    const db = new Database(own);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('wal_autocheckpoint = 0');
      db.exec('create table t (x text)');
      const insert = db.prepare('insert into t (x) values (?)');
      const failures: unknown[] = [];
      const checkpointer = startCheckpointer(
        own,
        { error: (e: unknown) => failures.push(e) } as never,
        20,
      );
      insert.run('before');
      expect(await until(() => walState(own).copied >= walState(own).frames, 3000)).toBe(true);
      await checkpointer.stop();
      insert.run('after');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(walState(own).copied).toBeLessThan(walState(own).frames);
      expect(failures).toEqual([]);
    } finally {
      db.close();
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
