/**
 * The users use cases. Each runs in one transaction, asks rules.ts what to do, writes
 * through store.ts and queues email through the outbox. Nothing here knows about HTTP.
 */
import type { Deps } from '../deps.js';
import { describeRole, hasPermission, type Actor, type Permission } from '../auth/permissions.js';
import {
  resolveAssignment,
  roleNames,
  type ResolvedRole,
  type RoleAssignment,
} from '../roles/assignment.js';
import { enforcedOf, grantProblem } from '../roles/rules.js';
import { generateTemporaryPassword } from '../auth/secrets.js';
import { hashPassword } from '../auth/passwords.js';
import { newId } from '../db/ids.js';
import type { AccountRole, RoleName, UsersTable } from '../db/tables.js';
import { encodeId } from '../http/global-id.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { Forbidden, Invalid, NotFound, Conflict } from '../errors.js';
import type { Position } from '../cursor.js';
import { enqueueEmail } from '../mail/outbox.js';
import { holdAccount, type AccountHold } from '../accounts/store.js';
import {
  callerProblem,
  decideCreate,
  defaultIsDeveloper,
  deriveStatus,
  emailProblem,
  invitationExpiresAt,
  isActiveAdminDeveloper,
  lastAdminDeveloperProblem,
  normalizeEmail,
  normalizeName,
  PASSWORD_RESET_TTL_MS,
  USER_STATUSES,
  type InviteMode,
  type UserStatus,
} from './rules.js';
import * as store from './store.js';
import { isStorableText } from '../text.js';
import { revokeKeysOfUser } from '../api-keys/store.js';
import { endSessionsOfUser } from '../sessions/store.js';
import { recordAudit, type AuditChanges } from '../audit/record.js';
import { findProvider } from '../sso/store.js';

/** A user's role as answers show it: a predefined role, or a custom one with its name. */
export type UserRole =
  { type: 'predefined'; name: RoleName } | { type: 'custom'; id: string; name: string };

export interface User {
  id: string;
  name: string;
  email: string;
  createdAt: number;
  status: UserStatus;
  role: UserRole;
  isDeveloper: boolean;
}

/** A role as audit entries record it: a predefined role's name, or a custom role's id. */
function auditedRole(role: AccountRole, customRoleId: string | null | undefined) {
  return role === 'custom'
    ? { type: 'custom', id: encodeId('Role', customRoleId ?? '') }
    : { type: 'predefined', name: role };
}

/** `roleNamesById`: the names of the custom roles the rows hold (see namesOfRoles). */
function toUser(
  row: store.UserRow,
  now: number,
  roleNamesById: ReadonlyMap<string, string> = new Map(),
): User {
  const status = deriveStatus(row.state, row.invitation_expires_at, now);
  if (status === 'inactive') throw new Error('an inactive user is never shown');
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    createdAt: row.created_at,
    status,
    role:
      row.role === 'custom'
        ? {
            type: 'custom',
            id: row.custom_role_id!,
            name: roleNamesById.get(row.custom_role_id!) ?? '',
          }
        : { type: 'predefined', name: row.role },
    isDeveloper: row.is_developer === 1,
  };
}

/** The names of the custom roles these users hold: one query, none when they hold none. */
function namesOfRoles(
  db: Trx | Deps['db']['kysely'],
  accountId: string,
  rows: readonly UsersTable[],
): Promise<Map<string, string>> {
  const ids = rows.flatMap((row) => (row.custom_role_id ? [row.custom_role_id] : []));
  return roleNames(db, accountId, ids);
}

/** A user read back with the name of its custom role, if it holds one. */
async function shownUser(db: Trx | Deps['db']['kysely'], row: store.UserRow, now: number) {
  return toUser(row, now, await namesOfRoles(db, row.account_id, [row]));
}

function require(actor: Actor, permission: Permission): void {
  if (!hasPermission(actor, permission)) {
    throw new Forbidden(
      `Your role (${describeRole(actor)}) does not have the ${permission} permission`,
    );
  }
}

function userNotFound(): NotFound {
  return new NotFound('No user with this id in your account');
}

/** A user of the caller's account that is not deleted, or NotFound. */
async function findVisibleUser(db: Trx | Deps['db']['kysely'], actor: Actor, userId: string) {
  const row = await store.findUserById(db, actor.accountId, userId);
  if (!row || row.state === 'inactive') throw userNotFound();
  return row;
}

/**
 * The caller as stored now, inside the transaction of its change: first holds the account (see
 * holdAccount), then refuses a caller deleted or made a non-developer since its request was
 * let in, and returns it with its current role, which the change then checks its permission
 * against. So a change never acts for a caller that another change has already removed.
 */
export async function confirmCaller(
  trx: Trx,
  actor: Actor,
  hold: AccountHold = 'shared',
): Promise<Actor> {
  await holdAccount(trx, actor.accountId, hold);
  const row = await store.findStanding(trx, actor.accountId, actor.userId);
  const problem = callerProblem(
    row && { role: row.role, state: row.state, isDeveloper: row.is_developer === 1 },
  );
  if (problem !== undefined) throw new Forbidden(problem);
  return {
    ...actor,
    role: row!.role,
    customPermissions:
      row!.custom_permissions === null
        ? undefined
        : enforcedOf(JSON.parse(row!.custom_permissions) as string[]),
  };
}

/**
 * Refuses (409) a change that would leave the account without an active admin developer:
 * `before` is the user as stored, `after` what the change would make of it.
 */
async function keepAnAdminDeveloper(
  trx: Trx,
  accountId: string,
  before: store.UserRow,
  after: { state?: 'inactive'; isDeveloper?: boolean; role?: UsersTable['role'] },
  change: string,
): Promise<void> {
  const standing = {
    role: before.role,
    state: before.state,
    isDeveloper: before.is_developer === 1,
  };
  if (!isActiveAdminDeveloper(standing)) return;
  const adminDevelopers = await store.activeAdminDeveloperIds(trx, accountId, 2);
  const problem = lastAdminDeveloperProblem(
    adminDevelopers,
    before.id,
    { ...standing, ...after },
    change,
  );
  if (problem) throw new Conflict(problem);
}

/** The same, locked for the rest of the transaction (see store.lockUser). */
async function lockVisibleUser(trx: Trx, actor: Actor, userId: string) {
  await store.lockUser(trx, actor.accountId, userId);
  return findVisibleUser(trx, actor, userId);
}

// ---------------------------------------------------------------------------------------
// Create

export interface CreateUserInput {
  name: string;
  email: string;
  /** A custom role by its internal id; `givenRoleId` is the id as the request gave it. */
  role: RoleAssignment;
  givenRoleId?: string;
  inviteMode: InviteMode;
  isDeveloper?: boolean;
}

export type CreateUserResult =
  | { created: true; user: User; inviteMode: InviteMode; temporaryPassword?: string }
  | { created: false; user: User };

interface PreparedPassword {
  password: string;
  hash: string;
}

export async function createUser(
  deps: Deps,
  actor: Actor,
  input: CreateUserInput,
): Promise<CreateUserResult> {
  require(actor, 'USER_CREATE');
  const name = normalizeName(input.name);
  if ('problem' in name)
    throw new Invalid(`name ${name.problem}`, [{ field: 'name', message: name.problem }]);
  const badEmail = emailProblem(input.email);
  if (badEmail) throw new Invalid(`email ${badEmail}`, [{ field: 'email', message: badEmail }]);

  const request = {
    email: input.email,
    emailNormalized: normalizeEmail(input.email),
    name: name.name,
    role: input.role,
    givenRoleId: input.givenRoleId ?? (input.role.type === 'custom' ? input.role.id : ''),
    isDeveloper: input.isDeveloper,
    inviteMode: input.inviteMode,
  };

  // argon2 is slow: hashed before the transaction, not in it. (A create that finds the user
  // already invited answers 200 without it; the hash is then unused.)
  let password: PreparedPassword | undefined;
  if (request.inviteMode === 'temporary_password') {
    const plain = generateTemporaryPassword();
    password = { password: plain, hash: await hashPassword(plain) };
  }
  return inTransaction(deps.db, (trx) => createInTransaction(deps, trx, actor, request, password));
}

type CreateRequest = {
  email: string;
  emailNormalized: string;
  name: string;
  role: RoleAssignment;
  givenRoleId: string;
  isDeveloper: boolean | undefined;
  inviteMode: InviteMode;
};

/**
 * The role a change gives a user, resolved in its transaction, which the caller may give:
 * nobody grants what they do not hold (roles/rules.ts grantProblem).
 */
async function grantedRole(
  trx: Trx,
  caller: Actor,
  assignment: RoleAssignment,
  givenRoleId: string,
): Promise<ResolvedRole> {
  const role = await resolveAssignment(trx, caller.accountId, assignment, givenRoleId);
  const problem = grantProblem(caller, role);
  if (problem) throw new Forbidden(problem);
  return role;
}

async function createInTransaction(
  deps: Deps,
  trx: Trx,
  actor: Actor,
  request: CreateRequest,
  password: PreparedPassword | undefined,
): Promise<CreateUserResult> {
  const caller = await confirmCaller(trx, actor);
  require(caller, 'USER_CREATE');
  const role = await grantedRole(trx, caller, request.role, request.givenRoleId);
  const isDeveloper = request.isDeveloper ?? defaultIsDeveloper(role.role);
  const roleNamesById = new Map(
    role.customRoleId ? [[role.customRoleId, role.customRoleName!] as const] : [],
  );
  const now = deps.clock();
  // A new address, the common case, is one statement: an insert that does nothing when the
  // account already has the address (or another transaction has just written it, once that one
  // commits). Only then is the existing user read, and locked.
  const inserted = await store.insertUserIfNew(
    trx,
    {
      accountId: actor.accountId,
      email: request.email,
      emailNormalized: request.emailNormalized,
      name: request.name,
      role: role.role,
      customRoleId: role.customRoleId,
      isDeveloper,
      state: request.inviteMode === 'none' ? 'active' : 'pending',
    },
    now,
  );
  let existing: store.UserRow | undefined;
  if (!inserted) {
    existing = await store.findUserByEmail(trx, actor.accountId, request.emailNormalized);
    if (existing && (await store.lockUser(trx, actor.accountId, existing.id))) {
      existing = await store.findUserByEmail(trx, actor.accountId, request.emailNormalized);
    }
  }
  const existingStatus = existing
    ? deriveStatus(existing.state, existing.invitation_expires_at, now)
    : undefined;
  const decision = decideCreate(existingStatus, request.inviteMode);
  if (decision.action === 'refuse') throw new Conflict(decision.reason);
  if (decision.action === 'return-as-is') {
    return { created: false, user: await shownUser(trx, existing!, now) };
  }
  // The answer is built from what this transaction wrote, not read back.
  let written: UsersTable;
  let changes: AuditChanges | undefined;
  if (decision.action === 'activate' || decision.action === 'reinvite') {
    // One rule for both: a create that changes an existing user writes the request's name, role
    // and is_developer, whatever the invitation it replaces had said.
    const activate = decision.action === 'activate';
    await store.revokeLiveTokens(trx, actor.accountId, existing!.id, 'invitation', now);
    const changed: store.UserChanges = {
      name: request.name,
      role: role.role,
      customRoleId: role.customRoleId,
      isDeveloper,
      ...(activate ? { state: 'active' as const } : {}),
    };
    await store.updateUser(trx, actor.accountId, existing!.id, changed, now);
    changes = {
      before: {
        name: existing!.name,
        role: auditedRole(existing!.role, existing!.custom_role_id),
        is_developer: existing!.is_developer === 1,
        status: existingStatus,
      },
      after: {
        name: request.name,
        role: auditedRole(role.role, role.customRoleId),
        is_developer: isDeveloper,
        status: activate ? 'active' : 'invited',
      },
    };
    written = {
      ...existing!,
      name: request.name,
      role: role.role,
      custom_role_id: role.customRoleId,
      is_developer: isDeveloper ? 1 : 0,
      state: activate ? 'active' : existing!.state,
      updated_at: now,
    };
    if (activate) {
      await recordAudit(trx, actor, {
        operation: 'createUser',
        at: now,
        target: { type: 'User', id: written.id },
        changes,
      });
      const user = toUser({ ...written, invitation_expires_at: null }, now, roleNamesById);
      return { created: false, user };
    }
  } else {
    written = inserted!;
  }
  let expiresAt: number | null = null;
  if (request.inviteMode === 'email_link') {
    // A re-invited user keeps the address as first written.
    expiresAt = await inviteByEmail(deps, trx, actor.accountId, written, now);
  } else if (request.inviteMode === 'temporary_password') {
    expiresAt = invitationExpiresAt(now, deps.config.invitationTtlSeconds);
    await store.insertToken(
      trx,
      {
        accountId: actor.accountId,
        userId: written.id,
        purpose: 'invitation',
        inviteMode: 'temporary_password',
        secretHash: password!.hash,
        expiresAt,
      },
      now,
    );
  }
  await recordAudit(trx, actor, {
    operation: 'createUser',
    at: now,
    target: { type: 'User', id: written.id },
    changes,
  });
  return {
    created: true,
    user: toUser({ ...written, invitation_expires_at: expiresAt }, now, roleNamesById),
    inviteMode: request.inviteMode,
    ...(request.inviteMode === 'temporary_password'
      ? { temporaryPassword: password!.password }
      : {}),
  };
}

/** A new email-link invitation for the user, and its email in the outbox; returns its expiry. */
async function inviteByEmail(
  deps: Deps,
  trx: Trx,
  accountId: string,
  user: { id: string; email: string },
  now: number,
): Promise<number> {
  const tokenId = newId(now);
  const expiresAt = invitationExpiresAt(now, deps.config.invitationTtlSeconds);
  await store.insertToken(
    trx,
    {
      accountId,
      userId: user.id,
      purpose: 'invitation',
      inviteMode: 'email_link',
      expiresAt,
    },
    now,
    tokenId,
  );
  const payload = { template: 'invitation' as const, tokenId, userId: user.id };
  await enqueueEmail(trx, accountId, user.email, payload, now);
  return expiresAt;
}

// ---------------------------------------------------------------------------------------
// Read

export async function getUser(deps: Deps, actor: Actor, userId: string): Promise<User> {
  // A caller without read access cannot tell whether the id exists.
  if (!hasPermission(actor, 'USER_READ')) throw userNotFound();
  const row = await findVisibleUser(deps.db.kysely, actor, userId);
  return shownUser(deps.db.kysely, row, deps.clock());
}

export interface ListUsersInput {
  limit: number;
  after?: Position;
  emailContains?: string;
  statuses?: UserStatus[];
}

export async function listUsers(
  deps: Deps,
  actor: Actor,
  input: ListUsersInput,
): Promise<{ users: User[]; next?: Position }> {
  require(actor, 'USER_READ');
  // No stored address holds what cannot be stored (the API refuses it sooner, as a 400).
  if (input.emailContains !== undefined && !isStorableText(input.emailContains)) {
    return { users: [] };
  }
  const now = deps.clock();
  const statuses =
    input.statuses && input.statuses.length > 0 ? [...new Set(input.statuses)] : USER_STATUSES;
  const rows = await store.listUsers(deps.db.kysely, {
    accountId: actor.accountId,
    emailContains: input.emailContains ? normalizeEmail(input.emailContains) : undefined,
    statuses,
    after: input.after,
    limit: input.limit,
    now,
  });
  const page = rows.slice(0, input.limit);
  const last = page[page.length - 1];
  const roleNamesById = await namesOfRoles(deps.db.kysely, actor.accountId, page);
  return {
    users: page.map((row) => toUser(row, now, roleNamesById)),
    ...(rows.length > input.limit && last
      ? { next: { createdAt: last.created_at, id: last.id } }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------
// Update and delete

export interface UpdateUserInput {
  name?: string;
  isDeveloper?: boolean;
  /** Roster's extension: the account role (a custom role by its internal id). */
  role?: RoleAssignment;
  /** The custom role's id as the request gave it, for the 400 that names it. */
  givenRoleId?: string;
}

export async function updateUser(
  deps: Deps,
  actor: Actor,
  userId: string,
  input: UpdateUserInput,
): Promise<User> {
  if (input.name === undefined && input.isDeveloper === undefined && input.role === undefined) {
    throw new Invalid('Give at least one of name, is_developer, role');
  }
  if (input.name !== undefined) require(actor, 'USER_UPDATE');
  checkAdminOnlyFields(actor, input);
  let name: string | undefined;
  if (input.name !== undefined) {
    const normalized = normalizeName(input.name);
    if ('problem' in normalized) {
      throw new Invalid(`name ${normalized.problem}`, [
        { field: 'name', message: normalized.problem },
      ]);
    }
    name = normalized.name;
  }
  // A change that may take away an admin developer runs alone among its account's changes.
  const mayDemote = input.isDeveloper !== undefined || input.role !== undefined;
  let keysChanged = false;
  const user = await inTransaction(deps.db, async (trx) => {
    const caller = await confirmCaller(trx, actor, mayDemote ? 'exclusive' : 'shared');
    if (input.name !== undefined) require(caller, 'USER_UPDATE');
    checkAdminOnlyFields(caller, input);
    const now = deps.clock();
    const row = await lockVisibleUser(trx, actor, userId);
    const changes: store.UserChanges = {};
    if (name !== undefined && name !== row.name) changes.name = name;
    if (input.isDeveloper !== undefined && input.isDeveloper !== (row.is_developer === 1)) {
      changes.isDeveloper = input.isDeveloper;
    }
    if (input.role !== undefined) {
      const role = await resolveAssignment(
        trx,
        actor.accountId,
        input.role,
        input.givenRoleId ?? '',
      );
      if (role.role !== row.role || role.customRoleId !== row.custom_role_id) {
        changes.role = role.role;
        changes.customRoleId = role.customRoleId;
      }
    }
    if (changes.isDeveloper === false || changes.role !== undefined) {
      const what = userId === actor.userId ? 'your own' : "this user's";
      const change =
        changes.role !== undefined
          ? `Changing ${what} role${changes.isDeveloper === false ? ' and is_developer' : ''}`
          : `Setting ${what} is_developer to false`;
      await keepAnAdminDeveloper(
        trx,
        actor.accountId,
        row,
        {
          ...(changes.isDeveloper === false ? { isDeveloper: false } : {}),
          ...(changes.role !== undefined ? { role: changes.role } : {}),
        },
        change,
      );
    }
    keysChanged = changes.isDeveloper !== undefined || changes.role !== undefined;
    if (Object.keys(changes).length === 0) return shownUser(trx, row, now);
    await store.updateUser(trx, actor.accountId, userId, changes, now);
    await recordAudit(trx, actor, {
      operation: 'updateUser',
      at: now,
      target: { type: 'User', id: userId },
      changes: {
        before: {
          ...(changes.name !== undefined ? { name: row.name } : {}),
          ...(changes.isDeveloper !== undefined ? { is_developer: row.is_developer === 1 } : {}),
          ...(changes.role !== undefined
            ? { role: auditedRole(row.role, row.custom_role_id) }
            : {}),
        },
        after: {
          ...(changes.name !== undefined ? { name: changes.name } : {}),
          ...(changes.isDeveloper !== undefined ? { is_developer: changes.isDeveloper } : {}),
          ...(changes.role !== undefined
            ? { role: auditedRole(changes.role, changes.customRoleId ?? null) }
            : {}),
        },
      },
    });
    return shownUser(trx, (await store.findUserById(trx, actor.accountId, userId))!, now);
  });
  // The user's keys act with the new role at their next request, in every process.
  if (keysChanged) await deps.keys.settled();
  return user;
}

/** is_developer and role are the admin's to change. */
function checkAdminOnlyFields(caller: Actor, input: UpdateUserInput): void {
  if (caller.role === 'admin') return;
  if (input.isDeveloper !== undefined) throw new Forbidden('Only admins may change is_developer');
  if (input.role !== undefined) throw new Forbidden("Only admins may change a user's role");
}

export async function deleteUser(deps: Deps, actor: Actor, userId: string): Promise<void> {
  require(actor, 'USER_DELETE');
  if (userId === actor.userId) throw new Invalid('You cannot delete yourself');
  const deleted = await inTransaction(deps.db, async (trx) => {
    require(await confirmCaller(trx, actor, 'exclusive'), 'USER_DELETE');
    const now = deps.clock();
    await store.lockUser(trx, actor.accountId, userId);
    const row = await store.findUserById(trx, actor.accountId, userId);
    if (!row) throw userNotFound();
    if (row.state === 'inactive') return false;
    await keepAnAdminDeveloper(
      trx,
      actor.accountId,
      row,
      { state: 'inactive' },
      'Deleting this user',
    );
    await store.updateUser(trx, actor.accountId, userId, { state: 'inactive' }, now);
    await store.revokeLiveTokens(trx, actor.accountId, userId, undefined, now);
    await revokeKeysOfUser(trx, actor.accountId, userId, now);
    await endSessionsOfUser(trx, actor.accountId, userId);
    await recordAudit(trx, actor, {
      operation: 'deleteUser',
      at: now,
      target: { type: 'User', id: userId },
    });
    return true;
  });
  if (deleted) await deps.keys.settled();
}

// ---------------------------------------------------------------------------------------
// Invitations and password resets

export async function resendInvitation(deps: Deps, actor: Actor, userId: string): Promise<void> {
  require(actor, 'USER_CREATE');
  await inTransaction(deps.db, async (trx) => {
    require(await confirmCaller(trx, actor), 'USER_CREATE');
    const now = deps.clock();
    const row = await lockVisibleUser(trx, actor, userId);
    const status = deriveStatus(row.state, row.invitation_expires_at, now);
    if (status !== 'invited') {
      throw new Invalid(`Only invited users can be sent a new invitation; this user is ${status}`);
    }
    await store.revokeLiveTokens(trx, actor.accountId, userId, 'invitation', now);
    await inviteByEmail(deps, trx, actor.accountId, row, now);
    await recordAudit(trx, actor, {
      operation: 'resendUserInvitation',
      at: now,
      target: { type: 'User', id: userId },
    });
  });
}

export async function resetPassword(deps: Deps, actor: Actor, userId: string): Promise<void> {
  require(actor, 'USER_UPDATE');
  await inTransaction(deps.db, async (trx) => {
    require(await confirmCaller(trx, actor), 'USER_UPDATE');
    const now = deps.clock();
    const row = await lockVisibleUser(trx, actor, userId);
    if (row.state !== 'active') {
      throw new Invalid('This user has not finished registration; resend the invitation instead');
    }
    if (!row.password_hash) {
      const sso = await findProvider(trx, actor.accountId);
      throw new Invalid(
        sso
          ? `This user has no password: they sign in with the account's single sign-on (${sso.issuer})`
          : 'This user has no password, and the account has no single sign-on set up (PUT /v2/sso)',
      );
    }
    await queuePasswordReset(deps, trx, row, now);
    await recordAudit(trx, actor, {
      operation: 'resetUserPassword',
      at: now,
      target: { type: 'User', id: userId },
    });
  });
}

/** A new 30-minute reset link for an active user with a password, and its email. */
export async function queuePasswordReset(
  deps: Deps,
  trx: Trx,
  user: { id: string; account_id: string; email: string },
  now: number,
): Promise<void> {
  await store.revokeLiveTokens(trx, user.account_id, user.id, 'password_reset', now);
  const tokenId = newId(now);
  await store.insertToken(
    trx,
    {
      accountId: user.account_id,
      userId: user.id,
      purpose: 'password_reset',
      expiresAt: now + PASSWORD_RESET_TTL_MS,
    },
    now,
    tokenId,
  );
  await enqueueEmail(
    trx,
    user.account_id,
    user.email,
    { template: 'password_reset', tokenId, userId: user.id },
    now,
  );
}

/** Exact counts of the account's users by status (see countByStatus). */
export async function countUsers(deps: Deps, actor: Actor): Promise<store.StatusCounts> {
  require(actor, 'USER_READ');
  return store.countByStatus(deps.db.kysely, actor.accountId, deps.clock());
}
