/** Account roles and what each may do. */
import type { RoleName } from '../db/tables.js';

/** SSO_MANAGE: see, set and remove the account's single sign-on provider. */
export type Permission = 'USER_READ' | 'USER_CREATE' | 'USER_UPDATE' | 'USER_DELETE' | 'SSO_MANAGE';

const ROLE_PERMISSIONS: Record<RoleName, readonly Permission[]> = {
  admin: ['USER_READ', 'USER_CREATE', 'USER_UPDATE', 'USER_DELETE', 'SSO_MANAGE'],
  member: ['USER_READ'],
  annotator: [],
};

export function hasPermission(role: RoleName, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** Who is calling: resolved from the API key (or a session) on every request. */
export interface Actor {
  accountId: string;
  userId: string;
  role: RoleName;
}
