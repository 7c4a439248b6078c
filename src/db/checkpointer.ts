/**
 * SQLite: copies the WAL back into the database file (a checkpoint) from a connection on a
 * thread of its own, so that the server's connection seldom has to.
 *
 * SQLite checkpoints on the connection that commits, right after the commit that takes the
 * WAL past `wal_autocheckpoint` pages: that connection then copies every page the WAL holds
 * and syncs both files, and the event loop waits, 50–90 ms for 10,000 pages. A checkpoint
 * from another connection does the same work without stopping anyone (PASSIVE: it copies
 * what no reader still needs and never waits). Run every few hundred milliseconds, it leaves
 * the server's own checkpoint, which SQLite still makes at the threshold, only the pages
 * committed since: that checkpoint is still the one that lets the WAL start over, so the WAL
 * stays bounded however busy the server is.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { FastifyBaseLogger } from 'fastify';

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // A busy or failing checkpoint is left to the next turn, and to the server's own.
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(
  file: string,
  log: FastifyBaseLogger,
  everyMs = 250,
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { driver, file, everyMs },
    // It only calls into SQLite: a small heap is plenty.
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
  });
  // Without it the server's own checkpoints still keep the WAL bounded, as before.
  worker.on('error', (error) => log.error({ err: error }, 'the checkpoint thread failed'));
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.postMessage('stop');
      await exited;
    },
  };
}
