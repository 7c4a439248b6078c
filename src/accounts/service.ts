/** Accounts: the tenant boundary. Created by `roster bootstrap` (and on first start). */
import type { Deps } from '../deps.js';
import { isRowId, newId } from '../db/ids.js';
import { inTransaction } from '../db/transaction.js';
import { decodeId, encodeId } from '../http/global-id.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.js';
import type { Actor } from '../auth/permissions.js';
import { confirmCaller } from '../users/service.js';
import { checkRoomForKey, issueKey } from '../api-keys/service.js';
import { emailProblem, normalizeEmail, normalizeName } from '../users/rules.js';
import { insertUser } from '../users/store.js';
import { isStorableText } from '../text.js';
import { issuePasswordSetup, type PasswordSetupLink } from '../self-service/password-setup.js';
import { cliOrigin, type Origin } from '../audit/origin.js';
import { recordAudit } from '../audit/record.js';

export interface Bootstrapped {
  accountId: string;
  userId: string;
  apiKey: string;
  /** bootstrapAccount only: the one-time link to set the admin's password. */
  passwordSetup?: PasswordSetupLink;
}

/**
 * A new account with its first admin (active, developer), that admin's API key and a one-time
 * link to set the admin's password (the admin has none: it could not sign in to a page). An email
 * that already administers an account is refused unless `anotherAccount` asks for a second
 * one: a second run with the same email is more often a mistake than a wish.
 */
export async function bootstrapAccount(
  deps: Deps,
  input: {
    accountName: string;
    email: string;
    name: string;
    anotherAccount?: boolean;
    /** How it was asked for (the audit entry's); by default `roster bootstrap`. */
    origin?: Origin;
  },
): Promise<Required<Bootstrapped>> {
  const badEmail = emailProblem(input.email);
  if (badEmail) throw new Invalid(`email ${badEmail}`);
  const name = normalizeName(input.name);
  if ('problem' in name) throw new Invalid(`name ${name.problem}`);
  const accountName = normalizeName(input.accountName);
  if ('problem' in accountName) throw new Invalid(`account name ${accountName.problem}`);
  return inTransaction(deps.db, async (trx) => {
    const now = deps.clock();
    if (!input.anotherAccount) {
      const administered = await trx
        .selectFrom('users as u')
        .innerJoin('accounts as a', 'a.id', 'u.account_id')
        .select(['a.id', 'a.name'])
        .where('u.email_normalized', '=', normalizeEmail(input.email))
        .where('u.role', '=', 'admin')
        .where('u.state', '=', 'active')
        .executeTakeFirst();
      if (administered) {
        throw new Conflict(
          `${input.email} already administers the account "${administered.name}" ` +
            `(account_id ${encodeId('Account', administered.id)}); to make another account ` +
            'for it, ask for one explicitly (roster bootstrap --another-account)',
        );
      }
    }
    const accountId = newId(now);
    await trx
      .insertInto('accounts')
      .values({ id: accountId, name: accountName.name, created_at: now })
      .execute();
    const { id: userId } = await insertUser(
      trx,
      {
        accountId,
        email: input.email,
        emailNormalized: normalizeEmail(input.email),
        name: name.name,
        role: 'admin',
        isDeveloper: true,
        state: 'active',
      },
      now,
    );
    const { secret } = await issueKey(
      trx,
      { accountId, userId, createdByUserId: userId, name: 'bootstrap' },
      now,
    );
    const passwordSetup = await issuePasswordSetup(deps, trx, { accountId, userId }, now);
    const origin =
      input.origin ??
      cliOrigin('bootstrap', {
        email: input.email,
        name: input.name,
        account: input.accountName,
        another_account: input.anotherAccount ?? false,
      });
    await recordAudit(
      trx,
      { accountId, userId: null, origin },
      { operation: 'bootstrapAccount', at: now, target: { type: 'Account', id: accountId } },
    );
    return { accountId, userId, apiKey: secret, passwordSetup };
  });
}

/**
 * The internal id of an account given as its global id (what `roster bootstrap` prints).
 * In-process callers that already hold the internal id may pass it as it is.
 */
export function accountIdFrom(value: string): string {
  const decoded = decodeId('Account', value);
  if (decoded) return decoded;
  if (isRowId(value)) return value;
  throw new Invalid(
    `"${value}" is not an account id; use the account_id that roster bootstrap printed`,
  );
}

/**
 * Mints a key for an existing active developer, found by email (in the given account, or in
 * the only account that has that email). `accountId` is the account's global id.
 */
export async function mintKeyForUser(
  deps: Deps,
  input: { email: string; accountId?: string; name?: string },
  origin: Origin = cliOrigin('api-keys create', {
    email: input.email,
    account_id: input.accountId ?? null,
    name: input.name ?? null,
  }),
): Promise<Bootstrapped> {
  const accountId = input.accountId !== undefined ? accountIdFrom(input.accountId) : undefined;
  if (!isStorableText(input.email)) throw new NotFound('No user with this email');
  return inTransaction(deps.db, async (trx) => {
    const now = deps.clock();
    let query = trx
      .selectFrom('users')
      .select(['id', 'account_id', 'state', 'is_developer'])
      .where('email_normalized', '=', normalizeEmail(input.email))
      .where('state', '!=', 'inactive');
    if (accountId !== undefined) query = query.where('account_id', '=', accountId);
    const users = await query.execute();
    if (users.length === 0) {
      throw new NotFound(
        `No user with email ${input.email}${accountId !== undefined ? ' in that account' : ''}`,
      );
    }
    if (users.length > 1) {
      throw new Conflict(`${users.length} accounts have a user with this email; pass --account-id`);
    }
    const user = users[0]!;
    if (user.state !== 'active') throw new Conflict('This user has not finished registration');
    if (user.is_developer !== 1)
      throw new Conflict('This user is not a developer; API keys would not work');
    await checkRoomForKey(trx, user.account_id, user.id, now);
    const { row, secret } = await issueKey(
      trx,
      {
        accountId: user.account_id,
        userId: user.id,
        createdByUserId: user.id,
        name: input.name ?? 'cli',
      },
      now,
    );
    await recordAudit(
      trx,
      { accountId: user.account_id, userId: null, origin },
      { operation: 'createApiKey', at: now, target: { type: 'ApiKey', id: row.id } },
    );
    return { accountId: user.account_id, userId: user.id, apiKey: secret };
  });
}

/** Whether any account exists yet (first start creates one). */
export async function hasAccounts(deps: Deps): Promise<boolean> {
  const row = await deps.db.kysely.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Renames an account: the name invitees see in their email and on every page. */
export async function renameAccount(
  deps: Deps,
  input: { accountId: string; name: string },
): Promise<{ accountId: string; name: string }> {
  const accountId = accountIdFrom(input.accountId);
  const name = normalizeName(input.name);
  if ('problem' in name) throw new Invalid(`account name ${name.problem}`);
  await inTransaction(deps.db, async (trx) => {
    const account = await trx
      .selectFrom('accounts')
      .select('name')
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!account) throw new NotFound(`No account with the id ${input.accountId}`);
    if (account.name === name.name) return;
    await trx
      .updateTable('accounts')
      .set({ name: name.name })
      .where('id', '=', accountId)
      .execute();
    await recordAudit(
      trx,
      {
        accountId,
        userId: null,
        origin: cliOrigin('accounts rename', { account_id: input.accountId, name: input.name }),
      },
      {
        operation: 'renameAccount',
        at: deps.clock(),
        target: { type: 'Account', id: accountId },
        changes: { before: { name: account.name }, after: { name: name.name } },
      },
    );
  });
  return { accountId, name: name.name };
}

/**
 * An admin renames their own account (the console's Account page): the same rule and audit
 * entry as `roster accounts rename`, with the admin as its author, re-checked in the transaction.
 */
export async function renameOwnAccount(
  deps: Deps,
  actor: Actor,
  input: { name: string },
): Promise<{ name: string }> {
  requireAdmin(actor);
  const name = normalizeName(input.name);
  if ('problem' in name) {
    throw new Invalid(`name ${name.problem}`, [{ field: 'name', message: name.problem }]);
  }
  await inTransaction(deps.db, async (trx) => {
    requireAdmin(await confirmCaller(trx, actor));
    const account = await trx
      .selectFrom('accounts')
      .select('name')
      .where('id', '=', actor.accountId)
      .executeTakeFirstOrThrow();
    if (account.name === name.name) return;
    await trx
      .updateTable('accounts')
      .set({ name: name.name })
      .where('id', '=', actor.accountId)
      .execute();
    await recordAudit(trx, actor, {
      operation: 'renameAccount',
      at: deps.clock(),
      target: { type: 'Account', id: actor.accountId },
      changes: { before: { name: account.name }, after: { name: name.name } },
    });
  });
  return { name: name.name };
}

function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new Forbidden('Only admins may rename the account');
}
