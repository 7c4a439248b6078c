import type { Transaction } from 'kysely';
import type { Db } from './connect.js';
import { isRetryable, isUniqueViolation } from './errors.js';
import type { Tables } from './tables.js';

export type Trx = Transaction<Tables>;

/**
 * Runs `work` in one transaction. When the database refuses it because a concurrent
 * transaction won a race (unique violation, serialization failure, busy), it is run again
 * from the start, so it reads what the winner wrote and decides anew.
 */
export async function inTransaction<T>(
  db: Db,
  work: (trx: Trx) => Promise<T>,
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.kysely.transaction().execute(work);
    } catch (error) {
      if (attempt >= attempts || !(isUniqueViolation(error) || isRetryable(error))) throw error;
    }
  }
}
