/**
 * Reading the audit log (GET /v2/audit-logs), verifying its chains (`roster audit verify`) and
 * retention (the server removes entries older than ROSTER_AUDIT_RETENTION_DAYS). Writing is
 * record.ts. Nothing here knows HTTP.
 */
import { runEvery, type Background } from '../background.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../deps.js';
import type { Db } from '../db/connect.js';
import type { Actor } from '../auth/permissions.js';
import type { AuditEntriesTable, AuditOperationType } from '../db/tables.js';
import { inTransaction } from '../db/transaction.js';
import { Forbidden, Invalid } from '../errors.js';
import type { Position } from '../cursor.js';
import {
  chainWalker,
  classifyBrokenLink,
  type BrokenLink,
  type ChainPlace,
  type Finding,
  type SealedEntry,
} from './rules.js';
import * as store from './store.js';
import { sealAuditLog } from './sealer.js';

export const DAY_MS = 24 * 3600 * 1000;
/** Without a start_time, a listing covers the 30 days before its end_time. */
export const DEFAULT_WINDOW_MS = 30 * DAY_MS;

// ---------------------------------------------------------------------------------------
// Listing

export interface ListAuditInput {
  startTime?: number;
  endTime?: number;
  userId?: string;
  operationType?: AuditOperationType | 'subscription';
  limit: number;
  before?: Position;
}

export async function listAuditLogs(
  deps: Deps,
  actor: Actor,
  input: ListAuditInput,
): Promise<{ entries: AuditEntriesTable[]; next?: Position }> {
  if (actor.role !== 'admin') throw new Forbidden('Only admins may read the audit log');
  const to = input.endTime ?? deps.clock();
  const from = input.startTime ?? to - DEFAULT_WINDOW_MS;
  if (from > to) {
    throw new Invalid('start_time must not be later than end_time', [
      { field: 'start_time', message: 'is later than end_time' },
    ]);
  }
  // Roster records no subscriptions.
  if (input.operationType === 'subscription') return { entries: [] };
  const rows = await store.listEntries(deps.db.kysely, {
    accountId: actor.accountId,
    from,
    to,
    userId: input.userId,
    operationType: input.operationType,
    before: input.before,
    limit: input.limit,
  });
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    entries: page,
    ...(rows.length > input.limit && last
      ? { next: { createdAt: last.created_at, id: last.id } }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------
// Verification

export interface ChainReport {
  accountId: string;
  /** Entries found in the chain. */
  entries: number;
  /** Where retention cut the chain, and its head. */
  prunedSeq: number;
  headSeq: number;
  headHash: string;
  findings: Finding[];
}

const VERIFY_BATCH = 5000;

/**
 * Chains what waits (sealer.ts), then walks each account's chain (or one account's) and
 * reports what does not hold.
 */
export async function verifyAuditLog(db: Db, accountId?: string): Promise<ChainReport[]> {
  await sealAuditLog(db, accountId);
  const reports: ChainReport[] = [];
  for (const chain of await store.listChains(db.kysely, accountId)) {
    const bounds = {
      prunedSeq: Number(chain.pruned_seq),
      prunedHash: chain.pruned_hash,
      seq: Number(chain.seq),
      hash: chain.hash,
    };
    const walker = chainWalker(bounds);
    await eachEntry(db, chain.account_id, (entry) => walker.next(entry));
    walker.finish();
    const findings = [...walker.findings];
    if (walker.broken.length > 0) {
      const places = await placesOf(db, chain.account_id, walker.broken);
      for (const link of walker.broken) {
        const place: ChainPlace | undefined =
          link.prevHash === bounds.prunedHash ? 'start' : places.get(link.prevHash);
        findings.push(classifyBrokenLink(link, place));
      }
    }
    findings.sort((a, b) => ('seq' in a ? a.seq : Infinity) - ('seq' in b ? b.seq : Infinity));
    reports.push({
      accountId: chain.account_id,
      entries: walker.count,
      prunedSeq: bounds.prunedSeq,
      headSeq: bounds.seq,
      headHash: bounds.hash,
      findings,
    });
  }
  return reports;
}

async function eachEntry(
  db: Db,
  accountId: string,
  visit: (entry: SealedEntry) => void,
): Promise<void> {
  let after = -1;
  for (;;) {
    const batch = await store.chainEntries(db.kysely, accountId, after, VERIFY_BATCH);
    for (const entry of batch) {
      visit({ ...entry, seq: Number(entry.seq), created_at: Number(entry.created_at) });
    }
    if (batch.length < VERIFY_BATCH) return;
    after = Number(batch[batch.length - 1]!.seq);
  }
}

/** Where in the chain the entries that broken links name as their predecessors are. */
async function placesOf(
  db: Db,
  accountId: string,
  broken: BrokenLink[],
): Promise<Map<string, ChainPlace>> {
  const wanted = new Set(broken.map((link) => link.prevHash));
  const places = new Map<string, ChainPlace>();
  await eachEntry(db, accountId, (entry) => {
    if (wanted.has(entry.hash)) places.set(entry.hash, { id: entry.id, seq: entry.seq });
  });
  return places;
}

// ---------------------------------------------------------------------------------------
// Retention

export interface PruneOptions {
  /** Entries removed per transaction, so writers wait at most for one batch. */
  batchSize?: number;
}

/**
 * Removes every account's entries older than the retention, oldest first, a batch per
 * transaction. Only the start of a chain is cut, never its middle (an entry older than the
 * retention but chained after a younger one stays until that one goes), and each cut records
 * the last removed entry's seq and hash in audit_chains, where verification then starts.
 * Returns how many entries it removed.
 */
export async function pruneAuditLog(deps: Deps, options: PruneOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const cutoff = deps.clock() - deps.config.auditRetentionDays * DAY_MS;
  await sealAuditLog(deps.db);
  let removed = 0;
  for (const chain of await store.listChains(deps.db.kysely)) {
    for (;;) {
      const count = await inTransaction(deps.db, async (trx) => {
        await store.lockChain(trx, chain.account_id);
        const oldest = await store.oldestEntries(trx, chain.account_id, batchSize);
        let last: { seq: number; hash: string } | undefined;
        for (const entry of oldest) {
          if (Number(entry.created_at) >= cutoff) break;
          last = { seq: Number(entry.seq), hash: entry.hash };
        }
        return last ? store.cutChain(trx, chain.account_id, last) : 0;
      });
      removed += count;
      if (count < batchSize) break;
    }
  }
  return removed;
}

/** The server's retention: at start, then every `intervalMs` (an hour). */
export function startAuditRetention(
  deps: Deps,
  log: FastifyBaseLogger,
  { intervalMs = 3600_000, batchSize = 1000 }: { intervalMs?: number; batchSize?: number } = {},
): Background {
  return runEvery(intervalMs, () =>
    pruneAuditLog(deps, { batchSize })
      .then((removed) => {
        if (removed > 0) log.info({ removed }, 'audit log: removed entries past the retention');
      })
      .catch((error: unknown) => log.error({ err: error }, 'audit log retention failed')),
  );
}

/** When a user of the caller's account last signed in, for an admin. */
export async function lastSignIn(
  deps: Deps,
  actor: Actor,
  userId: string,
): Promise<number | undefined> {
  if (actor.role !== 'admin') throw new Forbidden('Only admins may read the audit log');
  return store.lastSignInAt(deps.db.kysely, actor.accountId, userId);
}
