/**
 * Giving a user a role: what the users use cases call to resolve a role assignment inside
 * their own transaction, and to show the custom roles users hold.
 */
import type { RoleHolder } from '../auth/permissions.js';
import type { RoleName } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';
import { Invalid } from '../errors.js';
import { enforcedOf, predefinedRoleById } from './rules.js';
import * as store from './store.js';

/** A role as a request gives it: a predefined one, or a custom one by its internal id. */
export type RoleAssignment =
  { type: 'predefined'; name: RoleName } | { type: 'custom'; id: string };

/** The role an assignment names, as a user's row holds it. */
export interface ResolvedRole extends RoleHolder {
  customRoleId: string | null;
  /** The custom role's name, for the answer. */
  customRoleName?: string;
}

/**
 * The role an assignment names, inside the transaction that gives it, locked so that it is not
 * deleted meanwhile (see store.lockRole). An unknown, deleted or other account's custom role is
 * a 400 naming the id as the request gave it (`givenId`).
 */
export async function resolveAssignment(
  trx: Trx,
  accountId: string,
  assignment: RoleAssignment,
  givenId: string,
): Promise<ResolvedRole> {
  if (assignment.type === 'predefined') return { role: assignment.name, customRoleId: null };
  const predefined = predefinedRoleById(assignment.id);
  if (predefined) {
    throw roleIdProblem(
      `${givenId} names the predefined role ${predefined.name}; give it as ` +
        `{ "type": "predefined", "name": "${predefined.name}" }`,
    );
  }
  const row = await store.lockRole(trx, accountId, assignment.id, 'share');
  if (!row) throw unknownCustomRole(givenId);
  return {
    role: 'custom',
    customRoleId: row.id,
    customRoleName: row.name,
    customPermissions: enforcedOf(JSON.parse(row.permissions) as string[]),
  };
}

function roleIdProblem(message: string): Invalid {
  return new Invalid(`role.id ${message}`, [{ field: 'role.id', message }]);
}

/** The 400 for a custom role id that is no role of the caller's account. */
export function unknownCustomRole(givenId: string): Invalid {
  return roleIdProblem(`${givenId} is not a custom role of your account`);
}

export { roleNames } from './store.js';
