/**
 * The sealer chains new audit entries. recordAudit writes an entry unchained, locking nothing;
 * once its transaction commits, the server's sealer takes the account's chain head (the one
 * lock of the chain: FOR UPDATE on PostgreSQL, the write lock on SQLite), gives the account's
 * waiting entries their places after the head, each its predecessor's hash and its own, in one
 * statement, and moves the head. So the chain is what it always was, and an account's changes
 * do not take turns to write it: only sealers do, a batch at a time.
 *
 * It runs just after an entry commits in this process (afterCommit), and every second for entries
 * another process wrote (the command line, a process that stopped before sealing).
 * Verification and retention seal first, so they see every committed entry in the chain.
 */
import type { FastifyBaseLogger } from 'fastify';
import { runEvery, type Background } from '../background.js';
import type { Db } from '../db/connect.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { entryHash } from './rules.js';
import { lockChain, sealEntries, unsealedAccounts, unsealedEntries } from './store.js';

/** Entries chained per transaction. */
const SEAL_BATCH = 500;

/**
 * How long after a commit the sealer runs: the entries of a busy moment are chained in one
 * transaction rather than each in its own (which doubled the commits of a write on SQLite).
 */
const WAKE_DELAY_MS = 20;

/** Wakes this process's sealer, if it runs one (recordAudit asks for it after commit). */
export function wakeSealer(db: Db): void {
  db.auditSealer?.wake();
}

/** Chains every entry waiting (of one account, or all); returns how many. */
export async function sealAuditLog(db: Db, accountId?: string): Promise<number> {
  let sealed = 0;
  for (const account of await unsealedAccounts(db.kysely, accountId)) {
    for (;;) {
      const count = await inTransaction(db, (trx) => sealBatch(trx, account));
      sealed += count;
      if (count < SEAL_BATCH) break;
    }
  }
  return sealed;
}

async function sealBatch(trx: Trx, accountId: string): Promise<number> {
  const head = await lockChain(trx, accountId);
  const entries = await unsealedEntries(trx, accountId, SEAL_BATCH);
  let seq = Number(head.seq);
  let prev = head.hash;
  const links = entries.map((entry) => {
    const hash = entryHash({ ...entry, prev_hash: prev });
    const link = { id: entry.id, seq: ++seq, prev_hash: prev, hash };
    prev = hash;
    return link;
  });
  await sealEntries(trx, accountId, links);
  return links.length;
}

/** The server's sealer: woken by commits, and every `intervalMs` for other processes' entries. */
export function startAuditSealer(
  db: Db,
  log: FastifyBaseLogger,
  { intervalMs = 1000 }: { intervalMs?: number } = {},
): Background {
  const sealer = runEvery(
    intervalMs,
    () =>
      sealAuditLog(db).then(
        () => {},
        (error: unknown) => log.error({ err: error }, 'audit log: chaining new entries failed'),
      ),
    { wakeDelayMs: WAKE_DELAY_MS },
  );
  db.auditSealer = sealer;
  return sealer;
}
