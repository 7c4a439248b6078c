/** SQL for accounts. Nothing else. */
import { dialectOf } from '../db/connect.js';
import type { Trx } from '../db/transaction.js';

/**
 * How a change holds its account: `exclusive` for a change that may take away an active admin
 * developer (a deletion, is_developer false), `shared` for every other change.
 */
export type AccountHold = 'shared' | 'exclusive';

/**
 * On PostgreSQL, locks the account's row until the transaction ends: shared changes run side
 * by side, an exclusive one runs alone, so a change that checks its caller or counts the
 * account's admins acts on what is committed, not on what was read before another committed.
 * Every change takes it first, before any row lock of its own, so locks come in one order.
 * (SQLite runs one write transaction at a time already.) FOR NO KEY UPDATE rather than FOR
 * UPDATE: inserting rows that refer to the account is not held up.
 */
export async function holdAccount(trx: Trx, accountId: string, hold: AccountHold): Promise<void> {
  if (dialectOf(trx) === 'sqlite') return;
  const query = trx.selectFrom('accounts').select('id').where('id', '=', accountId);
  await (hold === 'exclusive' ? query.forNoKeyUpdate() : query.forShare()).execute();
}
