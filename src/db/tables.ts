/** Row types of every table, as Kysely sees them. Times are UTC epoch milliseconds. */

export interface AccountsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export type UserState = 'pending' | 'active' | 'inactive';
export type RoleName = 'admin' | 'member' | 'annotator';
/** What a user's role column holds: a predefined role, or `custom` (see `custom_role_id`). */
export type AccountRole = RoleName | 'custom';

export interface UsersTable {
  id: string;
  account_id: string;
  email: string;
  email_normalized: string;
  name: string;
  role: AccountRole;
  /** The custom role (roles.id) when `role` is `custom`, else null. */
  custom_role_id: string | null;
  is_developer: number;
  state: UserState;
  password_hash: string | null;
  created_at: number;
  updated_at: number;
}

/** `password_setup`: a one-time link to set a password, made by `roster bootstrap` or the CLI. */
export type TokenPurpose = 'invitation' | 'password_reset' | 'password_setup';
export type InvitationMode = 'email_link' | 'temporary_password';

export interface UserTokensTable {
  id: string;
  account_id: string;
  user_id: string;
  purpose: TokenPurpose;
  invite_mode: InvitationMode | null;
  /** argon2id of the temporary password, null for email links. */
  secret_hash: string | null;
  expires_at: number;
  created_at: number;
  consumed_at: number | null;
  revoked_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  user_id: string;
  created_by_user_id: string;
  name: string;
  description: string | null;
  key_type: 'user';
  key_hash: string;
  redacted_key: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export type OutboxStatus = 'pending' | 'processing' | 'sent' | 'dead';

export interface OutboxTable {
  id: string;
  account_id: string;
  template: string;
  recipient: string;
  /** JSON of the template's data; never a secret (links are derived at send time). */
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value; the value itself is never stored. */
  id: string;
  account_id: string;
  user_id: string;
  /** 1 after a temporary-password sign-in: nothing but /password/change until it is done. */
  must_change_password: number;
  created_at: number;
  last_seen_at: number;
  /** Absolute end, whatever the activity. */
  expires_at: number;
}

export interface SignInFailuresTable {
  id: string;
  /** SHA-256 of the throttle key (an email, an address or a device), never the key itself. */
  throttle_key: string;
  failed_at: number;
}

export interface SsoProvidersTable {
  account_id: string;
  issuer: string;
  client_id: string;
  /** AES-256-GCM under a key derived from the server secret (sso/client-secret.ts). */
  client_secret_sealed: string;
  client_secret_last4: string;
  enforced: number;
  /** The provider's discovery document (JSON), as read when it was configured. */
  metadata: string;
  created_at: number;
  updated_at: number;
}

export interface SsoLoginsTable {
  /** SHA-256 of the `state` sent to the provider; the state itself is never stored. */
  id: string;
  account_id: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface RolesTable {
  id: string;
  account_id: string;
  name: string;
  /** The name as compared for uniqueness (NFKC, lower case). */
  name_normalized: string;
  description: string | null;
  /** JSON array of Arize permission names, as given (duplicates dropped). */
  permissions: string;
  created_at: number;
  updated_at: number;
  /** Deleted roles are kept for the deleted users that held them; never listed. */
  deleted_at: number | null;
}

export type AuditOperationType = 'mutation' | 'query';

/** One entry of the audit log (see audit/record.ts); JSON columns are kept as written. */
export interface AuditEntriesTable {
  id: string;
  account_id: string;
  /** Its place in the account's chain: 1, 2, 3...; null until the sealer chains it. */
  seq: number | null;
  created_at: number;
  /** Who acted; null when no user did (the operator's command line, an anonymous visitor). */
  user_id: string | null;
  api_key_id: string | null;
  ip: string | null;
  operation_type: AuditOperationType;
  operation_name: string;
  operation_text: string;
  /** JSON of the request's body, secrets removed. */
  variables: string | null;
  target_type: string | null;
  target_id: string | null;
  /** JSON of { before, after }, for updates. */
  changes: string | null;
  /** Null, as seq, until the sealer chains the entry (src/audit/sealer.ts). */
  prev_hash: string | null;
  hash: string | null;
}

/** Per account: the head of its audit chain, and where retention cut it. */
export interface AuditChainsTable {
  account_id: string;
  seq: number;
  hash: string;
  pruned_seq: number;
  pruned_hash: string;
}

/**
 * Per account, its active and pending users, kept by triggers on users: the sums of the
 * account's rows, one per slot (migrations 0009 and 0010).
 */
export interface UserCountsTable {
  account_id: string;
  slot: number;
  active: number;
  pending: number;
}

export interface Tables {
  accounts: AccountsTable;
  settings: SettingsTable;
  users: UsersTable;
  user_tokens: UserTokensTable;
  api_keys: ApiKeysTable;
  outbox: OutboxTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
  sso_providers: SsoProvidersTable;
  sso_logins: SsoLoginsTable;
  roles: RolesTable;
  audit_entries: AuditEntriesTable;
  audit_chains: AuditChainsTable;
  user_counts: UserCountsTable;
}
