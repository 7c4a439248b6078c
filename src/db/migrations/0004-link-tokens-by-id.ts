import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// Migrations use `any`: they describe the schema as it was then, not as Tables says it is now.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  // A link now carries its token's id with an HMAC of it (auth/secrets.ts) and is looked up by
  // that id: the hash of the whole token, and its index, are no longer read. Links made
  // before this change no longer open; their invitations can be sent again.
  await db.schema.dropIndex('user_tokens_hash').execute();
  await db.schema.alterTable('user_tokens').dropColumn('token_hash').execute();
}
