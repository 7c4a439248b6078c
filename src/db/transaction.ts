import type { Transaction } from 'kysely';
import { rememberDialect, type Db } from './connect.js';
import { isRetryable, isUniqueViolation } from './errors.js';
import type { Tables } from './tables.js';

export type Trx = Transaction<Tables>;

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
    try {
      const value = await db.kysely.transaction().execute((trx) => {
        rememberDialect(trx, db.dialect);
        return work(trx);
      });
      db.commits++;
      return value;
    } catch (error) {
      const retry = attempt < attempts && (isUniqueViolation(error) || isRetryable(error));
      if (!retry) throw error;
    }
  }
}
