/**
 * The server secret from which link tokens are derived: ROSTER_SECRET when given,
 * otherwise generated on first start and kept in the database (so every process agrees).
 */
import type { Db } from '../db/connect.js';
import { generateServerSecret } from './secrets.js';

const KEY = 'server_secret';

export async function loadServerSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  await db.kysely
    .insertInto('settings')
    .values({ key: KEY, value: generateServerSecret() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.kysely
    .selectFrom('settings')
    .select('value')
    .where('key', '=', KEY)
    .executeTakeFirstOrThrow();
  return row.value;
}
