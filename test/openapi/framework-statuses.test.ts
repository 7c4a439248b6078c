/**
 * What Fastify answers for every /v2 route before the route's handler runs, on every operation
 * /openapi.json lists (so routes added later are covered too): 405 with Allow for a method the
 * path does not take; 413, 415 and 400 for a body too large, not JSON by type, or not JSON. Each
 * is documented on the operation (here), and the run's check (documented-statuses.ts) finds
 * every status answered here documented.
 */
import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';

interface OpenApi {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const BODY_METHODS = ['post', 'put', 'patch', 'delete'];

describeEachDatabase('statuses of every /v2 route', (database) => {
  const roster = useRoster(database);
  let admin: Caller;
  let document: OpenApi;
  let routes: { path: string; url: string; methods: string[] }[];

  beforeAll(async () => {
    admin = await roster.newAccount();
    document = (await (await fetch(`${roster.url}/openapi.json`)).json()) as OpenApi;
    // A path parameter that names nothing: what is answered here comes before any lookup.
    routes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/v2/'))
      .map(([path, operations]) => ({
        path,
        url: path.replace(/\{[^}]+\}/g, 'VXNlcjowMUtBWFo2WTNUMDAwMDAwMDAwMDAwMDAwMDAw'),
        methods: Object.keys(operations),
      }));
    expect(routes.length).toBeGreaterThanOrEqual(6);
  });

  it('a method a path does not take is a 405 naming the methods it takes in Allow, documented', async () => {
    for (const route of routes) {
      for (const method of METHODS.filter((m) => !route.methods.includes(m))) {
        const response = await roster.api(admin.key, method.toUpperCase(), route.url);
        const label = `${method} ${route.path}`;
        expect(response.status, label).toBe(405);
        expect(response.headers.get('content-type'), label).toContain('application/problem+json');
        expect(response.headers.get('allow')?.split(', ').sort(), label).toEqual(
          route.methods.map((m) => m.toUpperCase()).sort(),
        );
        expect(response.body.detail, label).toContain(`${method.toUpperCase()} is not allowed`);
      }
      for (const method of route.methods) {
        expect(Object.keys(document.paths[route.path]![method]!.responses)).toContain('405');
      }
    }
  });

  it('a body over 64 KiB is a 413, not JSON by type a 415, not JSON a 400: documented on every operation with a body', async () => {
    const large = JSON.stringify({ name: 'x'.repeat(64 * 1024) });
    const cases: [string, Record<string, string>, number][] = [
      [large, { 'content-type': 'application/json' }, 413],
      ['name=x', { 'content-type': 'text/plain' }, 415],
      ['{"name":', { 'content-type': 'application/json' }, 400],
    ];
    for (const route of routes) {
      for (const method of route.methods.filter((m) => BODY_METHODS.includes(m))) {
        for (const [body, headers, status] of cases) {
          const label = `${method} ${route.path} ${status}`;
          const response = await roster.api(
            admin.key,
            method.toUpperCase(),
            route.url,
            body,
            headers,
          );
          expect(response.status, label).toBe(status);
          expect(response.body.status, label).toBe(status);
          expect(Object.keys(document.paths[route.path]![method]!.responses), label).toContain(
            String(status),
          );
        }
      }
    }
    // None of it reached a handler: the admin's account is as it was.
    const users = await roster.api(admin.key, 'GET', '/v2/users');
    expect(users.body.users).toHaveLength(1);
  });
});
