/** Account roles and what each may do. */
import type { RoleName } from '../db/tables.js';
import type { Origin } from '../audit/origin.js';

export type Permission = 'USER_READ' | 'USER_CREATE' | 'USER_UPDATE' | 'USER_DELETE';

const ROLE_PERMISSIONS: Record<RoleName, readonly Permission[]> = {
  admin: ['USER_READ', 'USER_CREATE', 'USER_UPDATE', 'USER_DELETE'],
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
  /** How the request came in, for the audit entry of what it changes (audit/record.ts). */
  origin: Origin;
}
