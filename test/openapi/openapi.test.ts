/** The OpenAPI document is generated from the route schemas: it must carry the whole contract. */
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase, useRoster } from '../support/roster.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Every operation of the contract: its operationId and every status code it may answer, 405 and
 * (with a body) 400, 413 and 415 among them: Fastify answers those for any route
 * (http/framework-statuses.ts).
 */
const CONTRACT: Record<string, [string, number[]]> = {
  'POST /v2/users': ['create_user', [200, 201, 400, 401, 403, 405, 409, 413, 415, 429, 503]],
  'GET /v2/users': ['list_users', [200, 400, 401, 403, 405, 429, 503]],
  'GET /v2/users/{user_id}': ['get_user', [200, 400, 401, 403, 404, 405, 429, 503]],
  'PATCH /v2/users/{user_id}': [
    'update_user',
    [200, 400, 401, 403, 404, 405, 409, 413, 415, 429, 503],
  ],
  'DELETE /v2/users/{user_id}': [
    'delete_user',
    [204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 503],
  ],
  'POST /v2/users/{user_id}/resend-invitation': [
    'resend_user_invitation',
    [204, 400, 401, 403, 404, 405, 413, 415, 429, 503],
  ],
  'POST /v2/users/{user_id}/reset-password': [
    'reset_user_password',
    [204, 400, 401, 403, 404, 405, 413, 415, 429, 503],
  ],
  'POST /v2/api-keys': ['create_api_key', [201, 400, 401, 403, 405, 409, 413, 415, 429, 503]],
  'GET /v2/api-keys': ['list_api_keys', [200, 400, 401, 403, 405, 429, 503]],
  'POST /v2/api-keys/{api_key_id}/refresh': [
    'refresh_api_key',
    [200, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503],
  ],
  'PUT /v2/api-keys/{api_key_id}/revoke': [
    'revoke_api_key',
    [204, 400, 401, 403, 404, 405, 413, 415, 429, 503],
  ],
  'POST /v2/roles': ['create_role', [201, 400, 401, 403, 405, 409, 413, 415, 429, 503]],
  'GET /v2/roles': ['list_roles', [200, 400, 401, 403, 405, 429, 503]],
  'GET /v2/roles/{role_id}': ['get_role', [200, 400, 401, 403, 404, 405, 429, 503]],
  'PATCH /v2/roles/{role_id}': [
    'update_role',
    [200, 400, 401, 403, 404, 405, 409, 413, 415, 429, 503],
  ],
  'DELETE /v2/roles/{role_id}': [
    'delete_role',
    [204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 503],
  ],
  'GET /v2/audit-logs': ['list_audit_logs', [200, 400, 401, 403, 405, 429, 503]],
  // Roster's own extension: the account's single sign-on provider.
  'GET /v2/sso': ['get_sso', [200, 400, 401, 403, 404, 405, 429, 503]],
  'PUT /v2/sso': ['set_sso', [200, 400, 401, 403, 405, 413, 415, 422, 429, 503]],
  'DELETE /v2/sso': ['delete_sso', [204, 400, 401, 403, 405, 413, 415, 429, 503]],
};

const OPERATIONS = Object.entries(CONTRACT).map(([route, [operationId, statuses]]) => {
  const [method, path] = route.split(' ') as [string, string];
  return { route, method: method.toLowerCase(), path, operationId, statuses };
});

describeEachDatabase('OpenAPI document, docs and health', (database) => {
  const roster = useRoster(database);
  let doc: any;

  beforeAll(async () => {
    const response = await fetch(`${roster.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    doc = await response.json();
  });

  const schema = (name: string) => doc.components.schemas[name];
  const operation = (path: string, method: string) => doc.paths[path]?.[method];
  /** The schema a response or body refers to, resolved one level. */
  const refName = (value: any) => (value?.$ref as string | undefined)?.split('/').pop();

  it('is OpenAPI 3.1 with bearer authentication', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title).toBeTruthy();
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('has every /v2 route of the contract, and no other', () => {
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/v2/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(Object.keys(CONTRACT).sort());
  });

  it.each(OPERATIONS)('$route is $operationId with every status code', (op) => {
    const documented = operation(op.path, op.method);
    expect(documented.operationId).toBe(op.operationId);
    expect(documented.summary).toBeTruthy();
    expect(Object.keys(documented.responses).map(Number).sort()).toEqual(op.statuses);
    for (const [status, response] of Object.entries<any>(documented.responses)) {
      expect(response.description, status).toBeTruthy();
      if (Number(status) >= 400) {
        expect(Object.keys(response.content), status).toEqual(['application/problem+json']);
        expect(refName(response.content['application/problem+json'].schema), status).toBe(
          'Problem',
        );
      }
      if (Number(status) === 204) expect(response.content, status).toBeUndefined();
    }
  });

  it('names the schema of every success body', () => {
    const body = (path: string, method: string, status: number) =>
      operation(path, method).responses[status].content['application/json'].schema;
    expect(refName(body('/v2/users', 'post', 201))).toBe('CreateUserResponse');
    expect(refName(body('/v2/users', 'post', 200))).toBe('User');
    expect(refName(body('/v2/users/{user_id}', 'get', 200))).toBe('User');
    expect(refName(body('/v2/users/{user_id}', 'patch', 200))).toBe('User');
    const users = body('/v2/users', 'get', 200);
    expect(refName(users.properties.users.items)).toBe('User');
    expect(refName(users.properties.pagination)).toBe('Pagination');
    const keys = body('/v2/api-keys', 'get', 200);
    expect(refName(keys.properties.api_keys.items)).toBe('ApiKey');
    for (const [path, method, status] of [
      ['/v2/api-keys', 'post', 201],
      ['/v2/api-keys/{api_key_id}/refresh', 'post', 200],
    ] as const) {
      const created = body(path, method, status);
      expect(created.required).toContain('key');
      expect(Object.keys(created.properties)).toEqual(
        expect.arrayContaining(Object.keys(schema('ApiKey').properties)),
      );
    }
  });

  it("documents roles in Arize's shapes, and a user's role as predefined or custom", () => {
    const body = (path: string, method: string, status: number) =>
      operation(path, method).responses[status].content['application/json'].schema;
    expect(refName(body('/v2/roles', 'post', 201))).toBe('Role');
    expect(refName(body('/v2/roles/{role_id}', 'get', 200))).toBe('Role');
    expect(refName(body('/v2/roles/{role_id}', 'patch', 200))).toBe('Role');
    expect(refName(body('/v2/roles', 'get', 200).properties.roles.items)).toBe('Role');
    const role = schema('Role');
    expect(role.required.sort()).toEqual([
      'created_at',
      'id',
      'is_predefined',
      'name',
      'permissions',
      'updated_at',
    ]);
    expect(role.properties.permissions.items.enum).toEqual(
      expect.arrayContaining(['user_read', 'user_create', 'project_read', 'dataset_create']),
    );
    const query = operation('/v2/roles', 'get').parameters.map((p: any) => p.name);
    expect(query.sort()).toEqual(['cursor', 'is_predefined', 'limit']);

    const userRole = schema('UserRole');
    expect(userRole.properties.type.enum).toEqual(['predefined', 'custom']);
    expect(userRole.properties.id).toBeDefined();
    expect(userRole.required.sort()).toEqual(['name', 'type']);
    const patch = operation('/v2/users/{user_id}', 'patch');
    expect(patch.description).toMatch(/role/);
  });

  it("documents the AuditLog schema: Arize's fields and Roster's extensions", () => {
    const list = operation('/v2/audit-logs', 'get');
    const body = list.responses[200].content['application/json'].schema;
    expect(refName(body.properties.logs.items)).toBe('AuditLog');
    expect(refName(body.properties.pagination)).toBe('Pagination');
    const query = list.parameters.map((p: any) => p.name).sort();
    expect(query).toEqual(
      ['cursor', 'end_time', 'limit', 'operation_type', 'start_time', 'user_id'].sort(),
    );
    const entry = schema('AuditLog');
    const arize = ['id', 'user_id', 'ip', 'operation_type', 'operation_name', 'operation_text'];
    const extensions = ['api_key_id', 'target', 'changes'];
    expect(Object.keys(entry.properties)).toEqual(
      expect.arrayContaining([...arize, 'variables', 'created_at', ...extensions]),
    );
    for (const name of extensions) {
      expect(JSON.stringify(entry.properties[name]), name).toContain("Roster's extension");
    }
    expect(JSON.stringify(entry.properties.variables)).toContain('[redacted]');
  });

  it('has the Problem schema of RFC 9457, with field errors', () => {
    const problem = schema('Problem');
    expect(problem.required.sort()).toEqual(['detail', 'instance', 'status', 'title', 'type']);
    expect(problem.properties.status.type).toBe('integer');
    expect(problem.properties.errors.items.required.sort()).toEqual(['field', 'message']);
  });

  it('has the User, CreateUserResponse, RoleAssignment, Pagination and ApiKey schemas', () => {
    const user = schema('User');
    expect(user.required.sort()).toEqual(
      ['created_at', 'email', 'id', 'is_developer', 'name', 'role', 'status'].sort(),
    );
    expect(user.properties.status.enum).toEqual(['active', 'invited', 'expired']);
    expect(user.properties.created_at.format).toBe('date-time');

    const created = schema('CreateUserResponse');
    expect(created.required).toContain('invite_mode');
    expect(created.required).not.toContain('temporary_password');
    expect(created.properties.invite_mode.enum).toEqual([
      'none',
      'email_link',
      'temporary_password',
    ]);

    const role = JSON.stringify(schema('RoleAssignment'));
    for (const word of ['predefined', 'custom', 'admin', 'member', 'annotator']) {
      expect(role).toContain(`"${word}"`);
    }

    const pagination = schema('Pagination');
    expect(pagination.required).toEqual(['has_more']);
    expect(pagination.properties.next_cursor.type).toBe('string');

    const key = schema('ApiKey');
    expect(key.required.sort()).toEqual(
      [
        'created_at',
        'created_by_user_id',
        'id',
        'key_type',
        'name',
        'redacted_key',
        'status',
      ].sort(),
    );
    for (const optional of ['description', 'expires_at', 'last_used_at']) {
      expect(key.properties[optional]).toBeDefined();
    }
    expect(key.properties.status.enum).toEqual(['active', 'revoked']);
  });

  it('documents the request bodies, with the create body refusing unknown fields', () => {
    const json = (path: string, method: string) =>
      operation(path, method).requestBody.content['application/json'].schema;
    const create = json('/v2/users', 'post');
    expect(create.required.sort()).toEqual(['email', 'invite_mode', 'name', 'role']);
    expect(create.additionalProperties).toBe(false);
    expect(Object.keys(json('/v2/users/{user_id}', 'patch').properties).sort()).toEqual([
      'is_developer',
      'name',
      'role',
    ]);
    const createRole = json('/v2/roles', 'post');
    expect(createRole.required.sort()).toEqual(['name', 'permissions']);
    expect(createRole.properties.permissions).toMatchObject({ minItems: 1 });
    expect(createRole.additionalProperties).toBe(false);
    const updateRole = json('/v2/roles/{role_id}', 'patch');
    expect(Object.keys(updateRole.properties).sort()).toEqual([
      'description',
      'name',
      'permissions',
    ]);
    expect(updateRole.minProperties).toBe(1);
    expect(json('/v2/api-keys', 'post').required.sort()).toEqual(['key_type', 'name']);
    const refresh = json('/v2/api-keys/{api_key_id}/refresh', 'post');
    expect(Object.keys(refresh.properties).sort()).toEqual(['expires_at', 'grace_period_seconds']);
    expect(refresh.properties.grace_period_seconds).toMatchObject({ minimum: 0, maximum: 86400 });
  });

  it('documents the query parameters of the lists; none is required', () => {
    const parameters = (path: string) =>
      Object.fromEntries(
        operation(path, 'get').parameters.map((p: any) => [p.name, p] as [string, any]),
      );
    const users = parameters('/v2/users');
    expect(Object.keys(users).sort()).toEqual(['cursor', 'email', 'limit', 'status']);
    expect(users.status.schema.type).toBe('array');
    const keys = parameters('/v2/api-keys');
    expect(Object.keys(keys).sort()).toEqual(['cursor', 'key_type', 'limit', 'status', 'user_id']);
    for (const limit of [users.limit, keys.limit]) {
      expect(limit.schema).toMatchObject({ minimum: 1, maximum: 100, default: 50 });
    }
    for (const parameter of [...Object.values(users), ...Object.values(keys)]) {
      expect(parameter.in).toBe('query');
      expect(parameter.required, parameter.name).toBe(false);
    }
  });

  it('documents the path parameters', () => {
    for (const op of OPERATIONS.filter((o) => o.path.includes('{'))) {
      const name = op.path.match(/\{(\w+)\}/)![1];
      const parameters = operation(op.path, op.method).parameters;
      expect(parameters, op.route).toContainEqual(
        expect.objectContaining({ name, in: 'path', required: true }),
      );
    }
  });

  it('documents the refresh body as optional (a bare POST refreshes), and other bodies as required', () => {
    expect(doc.paths['/v2/api-keys/{api_key_id}/refresh'].post.requestBody.required).toBe(false);
    expect(doc.paths['/v2/users'].post.requestBody.required).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('x-optional-body');
  });

  it('/docs answers 200 with an HTML page', async () => {
    const response = await fetch(`${roster.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toMatch(/<html/i);
  });

  it('/healthz answers 200 while the process runs', async () => {
    const response = await fetch(`${roster.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('the contract table above', () => {
  it('lists the eleven operations of the contract, the five of /v2/roles, the audit log and the three of /v2/sso', () => {
    expect(OPERATIONS).toHaveLength(11 + 5 + 1 + 3);
  });
});
