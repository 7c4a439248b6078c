/**
 * The roles use cases: custom roles of an account, and the predefined roles beside them. Each
 * change runs in one transaction and re-checks its caller inside it. Nothing here knows HTTP.
 */
import type { Deps } from '../deps.js';
import { describeRole, type Actor } from '../auth/permissions.js';
import type { Position } from '../cursor.js';
import { newId } from '../db/ids.js';
import type { RolesTable } from '../db/tables.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.js';
import { confirmCaller } from '../users/service.js';
import {
  checkPermissions,
  checkRoleDescription,
  checkRoleName,
  isPredefinedName,
  normalizeRoleName,
  predefinedRoleById,
  PREDEFINED_ROLES,
  type ArizePermission,
} from './rules.js';
import * as store from './store.js';

export interface Role {
  id: string;
  name: string;
  description: string | null;
  permissions: readonly string[];
  isPredefined: boolean;
  createdAt: number;
  updatedAt: number;
}

function fromRow(row: RolesTable): Role {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: JSON.parse(row.permissions) as string[],
    isPredefined: false,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function predefinedRoles(accountCreatedAt: number): Role[] {
  return PREDEFINED_ROLES.map((role) => ({
    id: role.id,
    name: role.name,
    description: role.description,
    permissions: role.permissions,
    isPredefined: true,
    createdAt: accountCreatedAt,
    updatedAt: accountCreatedAt,
  }));
}

/** Managing roles (reading them included) is the admin's. */
function requireAdmin(actor: Actor): void {
  if (actor.role !== 'admin') {
    throw new Forbidden(`Only admins may manage roles; your role is ${describeRole(actor)}`);
  }
}

function roleNotFound(): NotFound {
  return new NotFound('No role with this id in your account');
}

function predefinedUnchangeable(role: { name: string }, change: 'changed' | 'deleted'): Invalid {
  return new Invalid(`The predefined role ${role.name} cannot be ${change}`);
}

function invalid(field: string, problem: string): Invalid {
  return new Invalid(`${field} ${problem}`, [{ field, message: problem }]);
}

function checkedName(name: string): { name: string; nameNormalized: string } {
  const checked = checkRoleName(name);
  if ('problem' in checked) throw invalid('name', checked.problem);
  return { name: checked.name, nameNormalized: normalizeRoleName(checked.name) };
}

function checkedDescription(description: string): string | null {
  const checked = checkRoleDescription(description);
  if ('problem' in checked) throw invalid('description', checked.problem);
  return checked.description;
}

function checkedPermissions(permissions: readonly ArizePermission[]): string {
  const checked = checkPermissions(permissions);
  if ('problem' in checked) throw invalid('permissions', checked.problem);
  return JSON.stringify(checked.permissions);
}

/** Refuses a name a predefined role or another role of the account has. */
async function checkNameFree(
  trx: Trx,
  accountId: string,
  name: { name: string; nameNormalized: string },
  exceptId?: string,
): Promise<void> {
  if (isPredefinedName(name.name)) {
    throw new Conflict(`"${name.name}" is the name of a predefined role; choose another name`);
  }
  if (await store.nameTaken(trx, accountId, name.nameNormalized, exceptId)) {
    throw new Conflict(`Your account already has a role named "${name.name}"`);
  }
}

// ---------------------------------------------------------------------------------------
// Create, read

export interface CreateRoleInput {
  name: string;
  description?: string;
  permissions: readonly ArizePermission[];
}

export async function createRole(deps: Deps, actor: Actor, input: CreateRoleInput): Promise<Role> {
  requireAdmin(actor);
  const name = checkedName(input.name);
  const description =
    input.description === undefined ? null : checkedDescription(input.description);
  const permissions = checkedPermissions(input.permissions);
  return inTransaction(deps.db, async (trx) => {
    requireAdmin(await confirmCaller(trx, actor));
    await checkNameFree(trx, actor.accountId, name);
    const now = deps.clock();
    const row: RolesTable = {
      id: newId(now),
      account_id: actor.accountId,
      name: name.name,
      name_normalized: name.nameNormalized,
      description,
      permissions,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    await store.insertRole(trx, row);
    return fromRow(row);
  });
}

export async function getRole(deps: Deps, actor: Actor, roleId: string): Promise<Role> {
  requireAdmin(actor);
  if (predefinedRoleById(roleId)) {
    const createdAt = await store.accountCreatedAt(deps.db.kysely, actor.accountId);
    return predefinedRoles(createdAt).find((role) => role.id === roleId)!;
  }
  const row = await store.findRole(deps.db.kysely, actor.accountId, roleId);
  if (!row) throw roleNotFound();
  return fromRow(row);
}

export interface ListRolesInput {
  limit: number;
  after?: Position;
  isPredefined?: boolean;
}

/**
 * The predefined roles (at the account's creation, with the lowest ids) then the custom ones,
 * in (created_at, id) order, keyset-paginated across both.
 */
export async function listRoles(
  deps: Deps,
  actor: Actor,
  input: ListRolesInput,
): Promise<{ roles: Role[]; next?: Position }> {
  requireAdmin(actor);
  const db = deps.db.kysely;
  const after = input.after;
  const isAfter = (role: Role) =>
    !after ||
    role.createdAt > after.createdAt ||
    (role.createdAt === after.createdAt && role.id > after.id);
  const predefined =
    input.isPredefined === false
      ? []
      : predefinedRoles(await store.accountCreatedAt(db, actor.accountId)).filter(isAfter);
  const custom =
    input.isPredefined === true
      ? []
      : (await store.listRoles(db, actor.accountId, after, input.limit + 1)).map(fromRow);
  const all = [...predefined, ...custom].sort((a, b) =>
    a.createdAt !== b.createdAt ? a.createdAt - b.createdAt : a.id < b.id ? -1 : 1,
  );
  const page = all.slice(0, input.limit);
  const last = page[page.length - 1];
  return {
    roles: page,
    ...(all.length > input.limit && last
      ? { next: { createdAt: last.createdAt, id: last.id } }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------
// Update, delete

export interface UpdateRoleInput {
  name?: string;
  /** null clears it. */
  description?: string | null;
  permissions?: readonly ArizePermission[];
}

export async function updateRole(
  deps: Deps,
  actor: Actor,
  roleId: string,
  input: UpdateRoleInput,
): Promise<Role> {
  requireAdmin(actor);
  if (input.name === undefined && input.description === undefined && !input.permissions) {
    throw new Invalid('Give at least one of name, description, permissions');
  }
  const predefined = predefinedRoleById(roleId);
  if (predefined) throw predefinedUnchangeable(predefined, 'changed');
  const name = input.name === undefined ? undefined : checkedName(input.name);
  const description =
    input.description === undefined || input.description === null
      ? input.description
      : checkedDescription(input.description);
  const permissions = input.permissions ? checkedPermissions(input.permissions) : undefined;
  let permissionsChanged = false;
  const role = await inTransaction(deps.db, async (trx) => {
    requireAdmin(await confirmCaller(trx, actor));
    const row = await store.lockRole(trx, actor.accountId, roleId, 'update');
    if (!row) throw roleNotFound();
    if (name) await checkNameFree(trx, actor.accountId, name, roleId);
    const now = deps.clock();
    const changes: store.RoleChanges = {
      ...(name ? { name: name.name, nameNormalized: name.nameNormalized } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(permissions !== undefined && permissions !== row.permissions ? { permissions } : {}),
    };
    permissionsChanged = changes.permissions !== undefined;
    await store.updateRole(trx, actor.accountId, roleId, changes, now);
    return fromRow({
      ...row,
      ...(name ? { name: name.name, name_normalized: name.nameNormalized } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(permissions !== undefined ? { permissions } : {}),
      updated_at: now,
    });
  });
  // Its holders' keys act with the new permissions at their next request, in every process.
  if (permissionsChanged) await deps.keys.settled();
  return role;
}

export async function deleteRole(deps: Deps, actor: Actor, roleId: string): Promise<void> {
  requireAdmin(actor);
  const predefined = predefinedRoleById(roleId);
  if (predefined) throw predefinedUnchangeable(predefined, 'deleted');
  await inTransaction(deps.db, async (trx) => {
    requireAdmin(await confirmCaller(trx, actor));
    const row = await store.lockRole(trx, actor.accountId, roleId, 'update');
    if (!row) throw roleNotFound();
    const holders = await store.countHolders(trx, actor.accountId, roleId);
    if (holders > 0) {
      const who = holders === 1 ? '1 user holds' : `${holders} users hold`;
      throw new Conflict(`${who} this role; give them another role before deleting it`);
    }
    await store.markRoleDeleted(trx, actor.accountId, roleId, deps.clock());
  });
}
