import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

// Migrations use `any`: they describe the schema as it was then, not as Tables says it is now.
/* eslint-disable @typescript-eslint/no-explicit-any */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  // An account's OpenID Connect provider: at most one per account. The client secret is kept
  // sealed (AES-256-GCM under a key derived from the server secret, see sso/client-secret.ts);
  // `metadata` is the provider's discovery document as read when it was configured.
  await db.schema
    .createTable('sso_providers')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_secret_sealed', 'text', (c) => c.notNull())
    .addColumn('client_secret_last4', 'text', (c) => c.notNull())
    .addColumn('enforced', 'integer', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // Sign-ins sent to a provider and not back yet. The id is the SHA-256 of the `state` the
  // browser carries; the PKCE verifier and the nonce are derived from the state and the server
  // secret (sso/rules.ts), so nothing here could finish a sign-in. Used once: consumed_at.
  await db.schema
    .createTable('sso_logins')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('sso_logins_expires').on('sso_logins').column('expires_at').execute();
}
