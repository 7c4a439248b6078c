/**
 * Configuring an account's single sign-on provider: show, set, remove. The API (an admin's
 * key) and the `roster sso` command (the server's operator, for one account) both come here.
 * Each change runs in one transaction that re-checks its caller.
 */
import type { Deps } from '../deps.js';
import { describeRole, hasRosterPermission, type Actor } from '../auth/permissions.js';
import { holdAccount } from '../accounts/store.js';
import { confirmCaller } from '../users/service.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import type { Origin } from '../audit/origin.js';
import { recordAudit, type AuditAuthor } from '../audit/record.js';
import { isRowId } from '../db/ids.js';
import { decodeId } from '../http/global-id.js';
import { Forbidden, Invalid, NotFound, Unprocessable, type FieldError } from '../errors.js';
import { isStorableText } from '../text.js';
import { sealClientSecret } from './client-secret.js';
import { discoverProvider, failureReason, type ProviderMetadata } from './provider.js';
import {
  CLIENT_ID_MAX,
  CLIENT_SECRET_MAX,
  issuerProblem,
  providerProblem,
  redirectUri,
  secretLast4,
} from './rules.js';
import * as store from './store.js';

/**
 * Who asks: an admin through the API (its key's user, re-checked in the transaction), or the
 * server's operator through the CLI, for the account it names.
 */
/** An API caller, or the server's operator on the command line (`origin`: its audit entry's). */
export type SsoCaller = { actor: Actor } | { operatorAccountId: string; origin: Origin };

/** Who the audit entry of a change names as its author. */
function authorOf(caller: SsoCaller, accountId: string): AuditAuthor {
  return 'actor' in caller ? caller.actor : { accountId, userId: null, origin: caller.origin };
}

export interface SsoSettings {
  accountId: string;
  issuer: string;
  clientId: string;
  clientSecretLast4: string;
  enforced: boolean;
  redirectUri: string;
  createdAt: number;
  updatedAt: number;
}

export interface SsoInput {
  issuer: string;
  clientId: string;
  clientSecret: string;
  enforced: boolean;
}

function toSettings(deps: Deps, row: store.SsoProviderRow): SsoSettings {
  return {
    accountId: row.account_id,
    issuer: row.issuer,
    clientId: row.client_id,
    clientSecretLast4: row.client_secret_last4,
    enforced: row.enforced === 1,
    redirectUri: redirectUri(deps.config.publicUrl),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function requireManage(actor: Actor): void {
  if (!hasRosterPermission(actor, 'SSO_MANAGE')) {
    throw new Forbidden(
      `Your role (${describeRole(actor)}) does not have the SSO_MANAGE permission; only admins manage single sign-on`,
    );
  }
}

/** The operator's account, given as its global id (what roster bootstrap prints) or as is. */
function operatorAccount(value: string): string {
  const decoded = decodeId('Account', value);
  if (decoded) return decoded;
  if (isRowId(value)) return value;
  throw new Invalid(
    `"${value}" is not an account id; use the account_id that roster bootstrap printed`,
  );
}

/** Checked before anything slow (discovery) is done for the caller. */
function precheck(caller: SsoCaller): void {
  if ('actor' in caller) requireManage(caller.actor);
  else operatorAccount(caller.operatorAccountId);
}

/** Inside the change's transaction: the caller may still do it; returns the account. */
async function confirmSsoCaller(trx: Trx, caller: SsoCaller): Promise<string> {
  if ('actor' in caller) {
    const confirmed = await confirmCaller(trx, caller.actor);
    requireManage(confirmed);
    return confirmed.accountId;
  }
  const accountId = operatorAccount(caller.operatorAccountId);
  await holdAccount(trx, accountId, 'shared');
  const account = await trx
    .selectFrom('accounts')
    .select('id')
    .where('id', '=', accountId)
    .executeTakeFirst();
  if (!account) throw new NotFound(`No account with the id ${caller.operatorAccountId}`);
  return accountId;
}

function noProvider(): NotFound {
  return new NotFound('This account has no single sign-on provider; set one with PUT /v2/sso');
}

export async function showSso(deps: Deps, caller: SsoCaller): Promise<SsoSettings> {
  precheck(caller);
  return inTransaction(deps.db, async (trx) => {
    const accountId = await confirmSsoCaller(trx, caller);
    const row = await store.findProvider(trx, accountId);
    if (!row) throw noProvider();
    return toSettings(deps, row);
  });
}

function inputProblems(deps: Deps, input: SsoInput): FieldError[] {
  const problems: FieldError[] = [];
  const issuer = issuerProblem(input.issuer, deps.config.publicUrl);
  if (issuer) problems.push({ field: 'issuer', message: issuer });
  const text = (field: string, value: string, max: number) => {
    if (!isStorableText(value))
      problems.push({
        field,
        message: 'must not contain NUL characters or malformed Unicode (lone surrogates)',
      });
    else if (value.trim() === '') problems.push({ field, message: 'must not be empty' });
    else if (value.length > max)
      problems.push({ field, message: `must be at most ${max} characters` });
    else if (/[\s\p{Cc}]/u.test(value))
      problems.push({ field, message: 'must not contain white space or control characters' });
  };
  text('client_id', input.clientId, CLIENT_ID_MAX);
  text('client_secret', input.clientSecret, CLIENT_SECRET_MAX);
  return problems;
}

/**
 * Sets the account's provider (replacing any): the issuer is discovered first, and a provider
 * that cannot be discovered, or that lacks what Roster needs, is refused with the reason.
 */
export async function configureSso(
  deps: Deps,
  caller: SsoCaller,
  input: SsoInput,
): Promise<SsoSettings> {
  precheck(caller);
  const problems = inputProblems(deps, input);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new Invalid(`${first.field} ${first.message}`, problems);
  }
  const issuer = input.issuer;
  let metadata: ProviderMetadata;
  try {
    metadata = await discoverProvider(issuer, input.clientId);
  } catch (error) {
    throw new Unprocessable(
      `Discovery of the issuer ${issuer} failed: ${failureReason(error)}. Roster reads ` +
        `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration, whose "issuer" must be exactly ${issuer}`,
      [{ field: 'issuer', message: 'could not be discovered' }],
    );
  }
  const unfit = providerProblem(metadata);
  if (unfit) {
    throw new Unprocessable(`The provider at ${issuer} cannot be used: ${unfit}`, [
      { field: 'issuer', message: unfit },
    ]);
  }
  return inTransaction(deps.db, async (trx) => {
    const accountId = await confirmSsoCaller(trx, caller);
    const now = deps.clock();
    const existing = await store.findProvider(trx, accountId);
    const row = {
      account_id: accountId,
      issuer,
      client_id: input.clientId,
      client_secret_sealed: sealClientSecret(deps.serverSecret, accountId, input.clientSecret),
      client_secret_last4: secretLast4(input.clientSecret),
      enforced: input.enforced ? 1 : 0,
      metadata: JSON.stringify(metadata),
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    await store.saveProvider(trx, row);
    const shown = (provider: typeof existing) =>
      provider
        ? {
            issuer: provider.issuer,
            client_id: provider.client_id,
            client_secret_last4: provider.client_secret_last4,
            enforced: provider.enforced === 1,
          }
        : {};
    await recordAudit(trx, authorOf(caller, accountId), {
      operation: 'setSso',
      at: now,
      target: { type: 'Account', id: accountId },
      changes: { before: shown(existing), after: shown(row) },
    });
    return toSettings(deps, row);
  });
}

/**
 * Removes the account's provider: its users then sign in with a password only (those without
 * one cannot sign in to the pages until one is set up). Sign-ins under way with it are refused.
 * Removing when there is none changes nothing.
 */
export async function removeSso(deps: Deps, caller: SsoCaller): Promise<{ removed: boolean }> {
  precheck(caller);
  return inTransaction(deps.db, async (trx) => {
    const accountId = await confirmSsoCaller(trx, caller);
    const removed = await store.deleteProvider(trx, accountId);
    if (removed) {
      await recordAudit(trx, authorOf(caller, accountId), {
        operation: 'deleteSso',
        at: deps.clock(),
        target: { type: 'Account', id: accountId },
      });
    }
    return { removed };
  });
}
