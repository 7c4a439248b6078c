/**
 * The roles feature's decisions, as plain functions of plain data. No I/O here.
 *
 * A role is a set of Arize permissions. The predefined roles (admin, member, annotator) are
 * the same in every account and are no rows; custom roles belong to one account. Roster
 * enforces USER_READ, USER_CREATE, USER_UPDATE and USER_DELETE; the others are kept and
 * returned as given, for compatibility.
 */
import {
  ENFORCED_PERMISSIONS,
  ROLE_PERMISSIONS,
  permissionsOf,
  type Permission,
  type RoleHolder,
} from '../auth/permissions.js';
import type { RoleName } from '../db/tables.js';
import { checkText } from '../text.js';

/** Arize's Permission enum (its SDK's generated types), in its order. */
export const ARIZE_PERMISSIONS = [
  'AI_PROVIDER_READ',
  'ALYX_RUN',
  'ANNOTATION_CONFIG_CREATE',
  'ANNOTATION_CONFIG_DELETE',
  'ANNOTATION_CONFIG_READ',
  'ANNOTATION_CONFIG_UPDATE',
  'CUSTOM_METRIC_CREATE',
  'CUSTOM_METRIC_DELETE',
  'CUSTOM_METRIC_READ',
  'CUSTOM_METRIC_UPDATE',
  'DASHBOARD_CREATE',
  'DASHBOARD_DELETE',
  'DASHBOARD_READ',
  'DASHBOARD_UPDATE',
  'DATASET_CREATE',
  'DATASET_DELETE',
  'DATASET_EXAMPLE_ANNOTATE',
  'DATASET_EXAMPLE_CREATE',
  'DATASET_EXAMPLE_DELETE',
  'DATASET_EXAMPLE_READ',
  'DATASET_EXAMPLE_UPDATE',
  'DATASET_READ',
  'DATASET_UPDATE',
  'DATASET_VIEW_CREATE',
  'DATASET_VIEW_DELETE',
  'DATASET_VIEW_READ',
  'DATASET_VIEW_UPDATE',
  'DATA_FABRIC_CONNECTOR_CREATE',
  'DATA_FABRIC_CONNECTOR_DELETE',
  'DATA_FABRIC_CONNECTOR_READ',
  'DATA_FABRIC_CONNECTOR_UPDATE',
  'EVALUATOR_CREATE',
  'EVALUATOR_DELETE',
  'EVALUATOR_READ',
  'EVALUATOR_UPDATE',
  'EXPERIMENT_CREATE',
  'EXPERIMENT_DELETE',
  'EXPERIMENT_EVAL_TASK_CREATE',
  'EXPERIMENT_EVAL_TASK_DELETE',
  'EXPERIMENT_EVAL_TASK_READ',
  'EXPERIMENT_EVAL_TASK_UPDATE',
  'EXPERIMENT_READ',
  'EXPERIMENT_RUN_ANNOTATE',
  'EXPERIMENT_RUN_READ',
  'EXPERIMENT_UPDATE',
  'FILE_IMPORT_CREATE',
  'FILE_IMPORT_DELETE',
  'FILE_IMPORT_READ',
  'FILE_IMPORT_UPDATE',
  'LLM_INTEGRATION_CREATE',
  'LLM_INTEGRATION_DELETE',
  'LLM_INTEGRATION_UPDATE',
  'MANAGED_AGENT_CREATE',
  'MANAGED_AGENT_DELETE',
  'MANAGED_AGENT_READ',
  'MANAGED_AGENT_UPDATE',
  'ML_MODEL_CREATE',
  'ML_MODEL_DELETE',
  'ML_MODEL_READ',
  'ML_MODEL_UPDATE',
  'MONITOR_CREATE',
  'MONITOR_DELETE',
  'MONITOR_READ',
  'MONITOR_TRIGGER',
  'MONITOR_UPDATE',
  'ORGANIZATION_CREATE',
  'ORGANIZATION_DELETE',
  'ORGANIZATION_READ',
  'ORGANIZATION_UPDATE',
  'PLAYGROUND_RUN',
  'PLAYGROUND_VIEW_CREATE',
  'PLAYGROUND_VIEW_DELETE',
  'PLAYGROUND_VIEW_READ',
  'PLAYGROUND_VIEW_UPDATE',
  'PROJECT_CREATE',
  'PROJECT_DELETE',
  'PROJECT_EVAL_TASK_CREATE',
  'PROJECT_EVAL_TASK_DELETE',
  'PROJECT_EVAL_TASK_READ',
  'PROJECT_EVAL_TASK_UPDATE',
  'PROJECT_READ',
  'PROJECT_RESTRICT',
  'PROJECT_SPAN_ANNOTATE',
  'PROJECT_SPAN_CREATE',
  'PROJECT_SPAN_DELETE',
  'PROJECT_SPAN_READ',
  'PROJECT_SPAN_UPDATE',
  'PROJECT_UPDATE',
  'PROMPT_CREATE',
  'PROMPT_DELETE',
  'PROMPT_OPTIMIZE_TASK_CREATE',
  'PROMPT_OPTIMIZE_TASK_DELETE',
  'PROMPT_OPTIMIZE_TASK_READ',
  'PROMPT_OPTIMIZE_TASK_UPDATE',
  'PROMPT_READ',
  'PROMPT_UPDATE',
  'QUEUE_CREATE',
  'QUEUE_DELETE',
  'QUEUE_READ',
  'QUEUE_RECORD_ANNOTATE',
  'QUEUE_RECORD_CREATE',
  'QUEUE_RECORD_DELETE',
  'QUEUE_RECORD_READ',
  'QUEUE_RECORD_UPDATE',
  'QUEUE_UPDATE',
  'REMOTE_ENDPOINT_INTEGRATION_CREATE',
  'REMOTE_ENDPOINT_INTEGRATION_DELETE',
  'REMOTE_ENDPOINT_INTEGRATION_READ',
  'REMOTE_ENDPOINT_INTEGRATION_UPDATE',
  'ROLE_BINDING_CREATE',
  'ROLE_BINDING_DELETE',
  'ROLE_BINDING_READ',
  'SERVICE_KEY_CREATE',
  'SERVICE_KEY_READ',
  'SERVICE_KEY_REVOKE',
  'SPACE_CREATE',
  'SPACE_DELETE',
  'SPACE_READ',
  'SPACE_UPDATE',
  'TAG_CREATE',
  'TAG_DELETE',
  'TAG_READ',
  'TAG_UPDATE',
  'TRACE_VIEW_CREATE',
  'TRACE_VIEW_DELETE',
  'TRACE_VIEW_READ',
  'TRACE_VIEW_UPDATE',
  'USER_CREATE',
  'USER_DELETE',
  'USER_PERMISSION_UPDATE',
  'USER_READ',
  'USER_UPDATE',
] as const;

export type ArizePermission = (typeof ARIZE_PERMISSIONS)[number];

export const ROLE_NAME_MAX = 255;
export const ROLE_DESCRIPTION_MAX = 1000;

export interface PredefinedRole {
  /** A fixed row-id-shaped id, the same in every account. */
  id: string;
  name: RoleName;
  description: string;
  permissions: readonly Permission[];
}

export const PREDEFINED_ROLES: readonly PredefinedRole[] = [
  {
    id: '00000000000000000000000001',
    name: 'admin',
    description: 'Manages the account: its users, roles and API keys',
    permissions: ROLE_PERMISSIONS.admin,
  },
  {
    id: '00000000000000000000000002',
    name: 'member',
    description: 'Reads the account’s users',
    permissions: ROLE_PERMISSIONS.member,
  },
  {
    id: '00000000000000000000000003',
    name: 'annotator',
    description: 'Annotates; no access to the account’s users',
    permissions: ROLE_PERMISSIONS.annotator,
  },
];

export function predefinedRoleById(id: string): PredefinedRole | undefined {
  return PREDEFINED_ROLES.find((role) => role.id === id);
}

/** Role names are compared as emails are: Unicode NFKC, then lower case. */
export function normalizeRoleName(name: string): string {
  return name.normalize('NFKC').toLowerCase().normalize('NFKC');
}

/** A role's name, trimmed; or why it is refused. */
export function checkRoleName(name: string): { name: string } | { problem: string } {
  const checked = checkText(name, { max: ROLE_NAME_MAX, trim: true });
  return 'problem' in checked ? checked : { name: checked.text };
}

/** Whether a custom role may not take this name: a predefined role has it. */
export function isPredefinedName(name: string): boolean {
  const normalized = normalizeRoleName(name);
  return PREDEFINED_ROLES.some((role) => role.name === normalized);
}

/** A role's description as kept (an empty one is none); or why it is refused. */
export function checkRoleDescription(
  description: string,
): { description: string | null } | { problem: string } {
  const checked = checkText(description, {
    max: ROLE_DESCRIPTION_MAX,
    trim: false,
    allowEmpty: true,
  });
  if ('problem' in checked) return checked;
  return { description: checked.text === '' ? null : checked.text };
}

/**
 * A role's permissions as kept: in the order given, each once; or why they are refused. (The
 * schema has checked that each is one of Arize's.)
 */
export function checkPermissions(
  permissions: readonly ArizePermission[],
): { permissions: ArizePermission[] } | { problem: string } {
  if (permissions.length === 0) return { problem: 'must hold at least one permission' };
  return { permissions: [...new Set(permissions)] };
}

/** The permissions of a role that Roster enforces. */
export function enforcedOf(permissions: readonly string[]): Permission[] {
  return ENFORCED_PERMISSIONS.filter((permission) => permissions.includes(permission));
}

/**
 * Why a caller may not give a user a role, or undefined. Nobody grants what they do not hold:
 * the admin role only by an admin, and any other role only when each permission Roster
 * enforces that it grants is the caller's too.
 */
export function grantProblem(caller: RoleHolder, granted: RoleHolder): string | undefined {
  if (caller.role === 'admin') return undefined;
  if (granted.role === 'admin') return 'Only admins may give a user the admin role';
  const mine = new Set(permissionsOf(caller));
  const missing = permissionsOf(granted).filter((permission) => !mine.has(permission));
  if (missing.length === 0) return undefined;
  return `You may not give a user a role with permissions you do not hold (${missing.join(', ')})`;
}
