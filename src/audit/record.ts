/**
 * Writing the audit log. Every change, through any door (the API, the pages, the command
 * line), writes one entry in the same transaction as the change, by one call:
 *
 *     await recordAudit(trx, actor, { operation: 'updateUser', at: now, target: { type: 'User', id }, changes });
 *
 * - `actor` is who acted and how the change came in: an API caller's Actor carries its Origin
 *   (http/v2.ts sets it), a page builds one with pageOrigin, a command with cliOrigin. `userId`
 *   is null when no user acted (the operator's command line, an anonymous visitor).
 * - `operation` is the operation_name, in the API's words (the route's operationId in camel case:
 *   createUser, refreshApiKey; for pages and commands: signIn, acceptInvitation, renameAccount).
 * - `target` is what the change is about; `changes` the fields it changed, before and after.
 * - Secrets never reach an entry: the origin's variables lose every field named as a secret
 *   and every API key (rules.ts, withoutSecrets). Pass no secret in `changes` either.
 *
 * The entry is written unchained and locks nothing, so an account's changes do not take turns.
 * Once the transaction commits, the sealer (sealer.ts) chains it onto the account's previous
 * entry. Recording nothing is right only when nothing changed (a create that finds the user
 * already invited, a second delete).
 */
import { newId } from '../db/ids.js';
import type { AuditOperationType } from '../db/tables.js';
import { afterCommit, type Trx } from '../db/transaction.js';
import type { Origin } from './origin.js';
import { withoutSecrets } from './rules.js';
import { wakeSealer } from './sealer.js';
import { insertEntry } from './store.js';

/** Who acted, in which account, and how the change came in. An Actor is one. */
export interface AuditAuthor {
  accountId: string;
  userId: string | null;
  origin: Origin;
}

/** What a change is about: a user, an API key, an account, a role (their internal ids). */
export interface AuditTarget {
  type: 'User' | 'ApiKey' | 'Account' | 'Role';
  id: string;
}

/** The fields an update changed, as they were and as they are. */
export interface AuditChanges {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export interface AuditEvent {
  /** operation_name, e.g. createUser. */
  operation: string;
  /** When, in epoch milliseconds: the change's own clock reading. */
  at: number;
  /** `mutation` (the default) for a change; `query` for a read worth recording. */
  type?: AuditOperationType;
  target?: AuditTarget;
  changes?: AuditChanges;
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(withoutSecrets(value));
}

export async function recordAudit(trx: Trx, by: AuditAuthor, event: AuditEvent): Promise<void> {
  await insertEntry(trx, {
    id: newId(event.at),
    account_id: by.accountId,
    created_at: event.at,
    user_id: by.userId,
    api_key_id: by.origin.apiKeyId,
    ip: by.origin.ip,
    operation_type: event.type ?? 'mutation',
    operation_name: event.operation,
    operation_text: by.origin.text,
    variables: json(by.origin.variables),
    target_type: event.target?.type ?? null,
    target_id: event.target?.id ?? null,
    changes: json(event.changes),
  });
  afterCommit(trx, wakeSealer);
}
