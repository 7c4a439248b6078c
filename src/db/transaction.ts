import { sql, type Kysely, type Transaction } from 'kysely';
import { heldStatementsOf, holdStatements, type Db } from './connect.js';
import { isRetryable, isUniqueViolation } from './errors.js';
import type { Tables } from './tables.js';

export type Trx = Transaction<Tables>;

type Work<T> = (trx: Trx) => Promise<T>;

/**
 * Runs `work` in one transaction. When the database refuses it because a concurrent
 * transaction won a race (unique violation, serialization failure), it is run again from
 * the start, so it reads what the winner wrote and decides anew.
 *
 * On SQLite the work of concurrent callers shares one transaction (see WriteBatches); each
 * still commits or fails on its own, and none is answered before the commit.
 */
export async function inTransaction<T>(db: Db, work: Work<T>, attempts = 3): Promise<T> {
  if (db.dialect === 'sqlite') return writeBatches(db.kysely).run(work, attempts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.kysely.transaction().execute(work);
    } catch (error) {
      if (!mayRetry(error, attempt, attempts)) throw error;
    }
  }
}

function mayRetry(error: unknown, attempt: number, attempts: number): boolean {
  return attempt < attempts && (isUniqueViolation(error) || isRetryable(error));
}

interface Queued {
  work: Work<unknown>;
  attempts: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The most pieces of work in one SQLite transaction, so readers never wait long. */
const BATCH_LIMIT = 32;

/**
 * Group commit for SQLite. SQLite has one writer at a time, and a commit writes every page
 * the transaction touched to the WAL: for a create, a dozen pages for a few rows, most of
 * them the same index leaves the previous create wrote. So the work of every caller waiting
 * when the writer is free runs in one transaction, each piece inside its own savepoint
 * (a piece that fails is rolled back alone, and one that lost a race is retried against
 * what the others wrote), then one commit, then every caller gets its answer. If the
 * transaction itself fails (the database is locked, the disk is full), every piece in it
 * fails with that error: nothing was answered before the commit, so nothing is lost.
 */
class WriteBatches {
  private readonly queue: Queued[] = [];
  private scheduled = false;

  constructor(private readonly kysely: Kysely<Tables>) {}

  run<T>(work: Work<T>, attempts: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, attempts, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) this.schedule();
    });
  }

  /** Runs after the requests that arrived with this one have queued their work too. */
  private schedule(): void {
    this.scheduled = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      await this.runBatches();
    } finally {
      this.scheduled = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async runBatches(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH_LIMIT);
      const outcomes: Outcome[] = [];
      try {
        await this.kysely.transaction().execute(async (trx) => {
          // The batch's statements run straight on the connection it holds (see
          // holdStatements): a create's half-dozen cost no executor round each.
          const release = holdStatements(this.kysely, trx);
          try {
            for (const queued of batch) outcomes.push(await this.runOne(trx, queued));
          } finally {
            release();
          }
        });
      } catch (error) {
        for (const queued of batch) queued.reject(error);
        continue;
      }
      batch.forEach((queued, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) queued.resolve(outcome.value);
        else queued.reject(outcome.error);
      });
    }
  }

  private async runOne(trx: Trx, queued: Queued): Promise<Outcome> {
    const held = heldStatementsOf(trx);
    const savepoint = async (statement: 'savepoint' | 'release' | 'rollback to') => {
      if (held) held(`${statement} work`, []);
      else await sql.raw(`${statement} work`).execute(trx);
    };
    for (let attempt = 1; ; attempt++) {
      await savepoint('savepoint');
      try {
        const value = await queued.work(trx);
        await savepoint('release');
        return { ok: true, value };
      } catch (error) {
        // Undoes this piece only; a failure here fails the whole transaction.
        await savepoint('rollback to');
        await savepoint('release');
        if (!mayRetry(error, attempt, queued.attempts)) return { ok: false, error };
      }
    }
  }
}

const batchesByDb = new WeakMap<Kysely<Tables>, WriteBatches>();

function writeBatches(kysely: Kysely<Tables>): WriteBatches {
  let batches = batchesByDb.get(kysely);
  if (!batches) batchesByDb.set(kysely, (batches = new WriteBatches(kysely)));
  return batches;
}
