/** Account roles and what each may do. */
import type { AccountRole, RoleName } from '../db/tables.js';
import type { Origin } from '../audit/origin.js';

/** The permissions Roster enforces (a custom role may hold any of Arize's; see roles/rules.ts). */
export type Permission = 'USER_READ' | 'USER_CREATE' | 'USER_UPDATE' | 'USER_DELETE';

export const ENFORCED_PERMISSIONS: readonly Permission[] = [
  'USER_READ',
  'USER_CREATE',
  'USER_UPDATE',
  'USER_DELETE',
];

export const ROLE_PERMISSIONS: Record<RoleName, readonly Permission[]> = {
  admin: ['USER_READ', 'USER_CREATE', 'USER_UPDATE', 'USER_DELETE'],
  member: ['USER_READ'],
  annotator: [],
};

/** Who holds which role: a predefined one, or a custom one with its enforced permissions. */
export interface RoleHolder {
  role: AccountRole;
  /** For `custom`: the enforced permissions its role grants (none when left out). */
  customPermissions?: readonly Permission[];
}

/** The enforced permissions a role holder has. */
export function permissionsOf(holder: RoleHolder): readonly Permission[] {
  if (holder.role === 'custom') return holder.customPermissions ?? [];
  return ROLE_PERMISSIONS[holder.role];
}

export function hasPermission(holder: RoleHolder, permission: Permission): boolean {
  return permissionsOf(holder).includes(permission);
}

/** A holder's role in words, for answers: `admin`, `member`, `annotator` or `a custom role`. */
export function describeRole(holder: RoleHolder): string {
  return holder.role === 'custom' ? 'a custom role' : holder.role;
}

/**
 * Roster's own permissions, beyond Arize's: never part of a role's Arize permissions (so never
 * listed by /v2/roles nor granted by a custom role), each held by the predefined roles named.
 * SSO_MANAGE: see, set and remove the account's single sign-on provider.
 */
export type RosterPermission = 'SSO_MANAGE';

const ROSTER_PERMISSIONS: Record<RosterPermission, readonly RoleName[]> = {
  SSO_MANAGE: ['admin'],
};

export function hasRosterPermission(holder: RoleHolder, permission: RosterPermission): boolean {
  return holder.role !== 'custom' && ROSTER_PERMISSIONS[permission].includes(holder.role);
}

/** Who is calling: resolved from the API key (or a session) on every request. */
export interface Actor extends RoleHolder {
  accountId: string;
  userId: string;
  /** How the request came in, for the audit entry of what it changes (audit/record.ts). */
  origin: Origin;
}
