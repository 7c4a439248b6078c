/**
 * Who may use the console, and as whom it acts. The console is a door onto the same use cases
 * as the API: it acts as the signed-in person, with the permissions their API key would have,
 * so it can never do more than that key could.
 */
import type { Actor, RoleHolder } from '../auth/permissions.js';
import { hasPermission } from '../auth/permissions.js';
import type { Origin } from '../audit/origin.js';
import type { Deps } from '../deps.js';
import { enforcedOf } from '../roles/rules.js';
import type { Session } from '../sessions/service.js';
import { findStanding } from '../users/store.js';

/** `manage`: every page and action; `read`: the people and their pages, read only. */
export type ConsoleAccess = 'manage' | 'read' | 'refused';

/**
 * Admins manage; holders of USER_READ (members, custom roles that grant it) read; others are
 * refused. Like an API key, the console serves only active developers.
 */
export function consoleAccess(
  holder: (RoleHolder & { isDeveloper: boolean; active: boolean }) | undefined,
): ConsoleAccess {
  if (!holder || !holder.active || !holder.isDeveloper) return 'refused';
  if (holder.role === 'admin') return 'manage';
  return hasPermission(holder, 'USER_READ') ? 'read' : 'refused';
}

export interface ConsoleCaller {
  access: ConsoleAccess;
  actor: Actor;
}

/** The signed-in person as the caller of the use cases, with their current role. */
export async function consoleCaller(
  deps: Deps,
  session: Session,
  origin: Origin,
): Promise<ConsoleCaller> {
  const standing = await findStanding(deps.db.kysely, session.accountId, session.userId);
  const customPermissions =
    standing?.custom_permissions != null
      ? enforcedOf(JSON.parse(standing.custom_permissions) as string[])
      : undefined;
  const actor: Actor = {
    accountId: session.accountId,
    userId: session.userId,
    role: standing?.role ?? session.role,
    customPermissions,
    origin,
  };
  const access = consoleAccess(
    standing && {
      role: standing.role,
      customPermissions,
      isDeveloper: standing.is_developer === 1,
      active: standing.state === 'active',
    },
  );
  return { access, actor };
}
