/** SQL for the audit log (audit_entries) and its chain heads (audit_chains). Nothing else. */
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../db/connect.js';
import type {
  AuditChainsTable,
  AuditEntriesTable,
  AuditOperationType,
  Tables,
} from '../db/tables.js';
import type { Trx } from '../db/transaction.js';
import type { Position } from '../cursor.js';
import { chainStart, type SealedEntry } from './rules.js';

type Queryable = Kysely<Tables> | Trx;

function chainHead(db: Queryable, accountId: string) {
  return db.selectFrom('audit_chains').selectAll().where('account_id', '=', accountId);
}

/**
 * The head of the account's chain, locked until the transaction ends (FOR UPDATE on
 * PostgreSQL; SQLite writes one transaction at a time), made on the account's first entry.
 * Writers take turns here, so each chains onto the entry the one before it committed.
 */
export async function lockChain(trx: Trx, accountId: string): Promise<AuditChainsTable> {
  const locked = () =>
    dialectOf(trx) === 'postgres'
      ? chainHead(trx, accountId).forUpdate()
      : chainHead(trx, accountId);
  const head = await locked().executeTakeFirst();
  if (head) return head;
  const start = chainStart(accountId);
  await trx
    .insertInto('audit_chains')
    .values({ account_id: accountId, seq: 0, hash: start, pruned_seq: 0, pruned_hash: start })
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
  return locked().executeTakeFirstOrThrow();
}

/** An entry as recordAudit writes it: not chained yet. */
export type NewEntry = Omit<AuditEntriesTable, 'seq' | 'prev_hash' | 'hash'>;

export async function insertEntry(trx: Trx, entry: NewEntry): Promise<void> {
  await trx
    .insertInto('audit_entries')
    .values({ ...entry, seq: null, prev_hash: null, hash: null })
    .execute();
}

/** The accounts that have entries waiting to be chained (audit_entries_unsealed). */
export async function unsealedAccounts(db: Queryable, accountId?: string): Promise<string[]> {
  let query = db
    .selectFrom('audit_entries')
    .select('account_id')
    .distinct()
    .where('seq', 'is', null);
  if (accountId !== undefined) query = query.where('account_id', '=', accountId);
  return (await query.execute()).map((row) => row.account_id);
}

/** How many entries, of every account, wait to be chained (/metrics). */
export async function countUnsealed(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('audit_entries')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('seq', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The account's oldest entries waiting to be chained, by id (which is by time). */
export function unsealedEntries(trx: Trx, accountId: string, limit: number): Promise<NewEntry[]> {
  return trx
    .selectFrom('audit_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('seq', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export interface ChainLink {
  id: string;
  seq: number;
  prev_hash: string;
  hash: string;
}

/**
 * Chains entries (their place and hashes, in one statement) and moves the account's head onto
 * the last of them. The caller holds the head's lock (lockChain).
 */
export async function sealEntries(trx: Trx, accountId: string, links: ChainLink[]): Promise<void> {
  const last = links[links.length - 1];
  if (!last) return;
  // VALUES names its columns column1, column2... on both engines; the cast types the seq.
  const rows = sql.join(
    links.map((l) => sql`(${l.id}, cast(${l.seq} as bigint), ${l.prev_hash}, ${l.hash})`),
  );
  await sql`
    update audit_entries
       set seq = v.column2, prev_hash = v.column3, hash = v.column4
      from (values ${rows}) as v
     where audit_entries.id = v.column1 and audit_entries.seq is null`.execute(trx);
  await trx
    .updateTable('audit_chains')
    .set({ seq: last.seq, hash: last.hash })
    .where('account_id', '=', accountId)
    .execute();
}

export interface ListFilter {
  accountId: string;
  from: number;
  to: number;
  userId?: string;
  operationType?: AuditOperationType;
  before?: Position;
  limit: number;
}

/**
 * One page of entries, newest first: (created_at, id) descending within [from, to], before a
 * keyset position. Each filter walks its own index backwards (see 0008-audit-log.ts).
 */
export function listEntries(db: Queryable, filter: ListFilter): Promise<AuditEntriesTable[]> {
  let query = db
    .selectFrom('audit_entries')
    .selectAll()
    .where('account_id', '=', filter.accountId)
    .where('created_at', '>=', filter.from)
    .where('created_at', '<=', filter.to);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.operationType !== undefined) {
    query = query.where('operation_type', '=', filter.operationType);
  }
  const before = filter.before;
  if (before) {
    // A row-value comparison, which both engines seek in the index (see users/store.ts).
    query = query.where((eb) =>
      eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(before.createdAt, before.id)),
    );
  }
  return query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
}

/** Every account that has a chain, and where each starts and ends. */
export function listChains(db: Queryable, accountId?: string): Promise<AuditChainsTable[]> {
  let query = db.selectFrom('audit_chains').selectAll();
  if (accountId !== undefined) query = query.where('account_id', '=', accountId);
  return query.orderBy('account_id').execute();
}

/** The account's entries after `afterSeq`, in chain order, `limit` at a time. */
export function chainEntries(
  db: Queryable,
  accountId: string,
  afterSeq: number,
  limit: number,
): Promise<SealedEntry[]> {
  return db
    .selectFrom('audit_entries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute() as Promise<SealedEntry[]>; // seq > afterSeq: sealed ones only
}

/** The oldest entries of the account's chain: what retention may cut. */
export function oldestEntries(trx: Trx, accountId: string, limit: number) {
  return trx
    .selectFrom('audit_entries')
    .select(['seq', 'hash', 'created_at'])
    .where('account_id', '=', accountId)
    .where('seq', 'is not', null)
    .orderBy('seq')
    .limit(limit)
    .execute() as Promise<{ seq: number; hash: string; created_at: number }[]>;
}

/** Cuts the chain through `last`: removes it and everything before, and records where. */
export async function cutChain(
  trx: Trx,
  accountId: string,
  last: { seq: number; hash: string },
): Promise<number> {
  const removed = await trx
    .deleteFrom('audit_entries')
    .where('account_id', '=', accountId)
    .where('seq', '<=', last.seq)
    .executeTakeFirst();
  await trx
    .updateTable('audit_chains')
    .set({ pruned_seq: last.seq, pruned_hash: last.hash })
    .where('account_id', '=', accountId)
    .execute();
  return Number(removed.numDeletedRows);
}

/** When the user last signed in to the pages (with a password or single sign-on), if ever. */
export async function lastSignInAt(
  db: Queryable,
  accountId: string,
  userId: string,
): Promise<number | undefined> {
  const row = await db
    .selectFrom('audit_entries')
    .select('created_at')
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('operation_name', 'in', ['signIn', 'signInWithSso'])
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.created_at) : undefined;
}
