import type { Transaction } from 'kysely';
import { rememberDialect, type Db } from './connect.js';
import { isRetryable, isUniqueViolation } from './errors.js';
import type { Tables } from './tables.js';

export type Trx = Transaction<Tables>;

/** What to do once a transaction has committed, given the handle it ran on. */
export type AfterCommit = (db: Db) => void;

/** Each running transaction's after-commit work (afterCommit), run by inTransaction. */
const committing = new WeakMap<Trx, Set<AfterCommit>>();

/**
 * Runs `work` in one transaction (BEGIN IMMEDIATE on SQLite, see connect.ts). When the
 * database refuses it because a concurrent transaction won a race (unique violation,
 * serialization failure, deadlock), it is run again from the start, so it reads what the
 * winner wrote and decides anew.
 */
export async function inTransaction<T>(
  db: Db,
  work: (trx: Trx) => Promise<T>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const after = new Set<AfterCommit>();
    try {
      const value = await db.kysely.transaction().execute((trx) => {
        rememberDialect(trx, db.dialect);
        committing.set(trx, after);
        return work(trx);
      });
      for (const callback of after) callback(db);
      return value;
    } catch (error) {
      const retry = attempt < attempts && (isUniqueViolation(error) || isRetryable(error));
      if (!retry) throw error;
    }
  }
}

/**
 * Has `callback` run once the transaction commits: never if it rolls back, and once however
 * often it is asked for. The transaction must be one inTransaction runs.
 */
export function afterCommit(trx: Trx, callback: AfterCommit): void {
  const after = committing.get(trx);
  if (!after) throw new Error('afterCommit outside inTransaction');
  after.add(callback);
}
