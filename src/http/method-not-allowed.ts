/**
 * 405 instead of 404 when the path exists but not for this method, with an Allow header.
 * Routes are recorded as they are added; their `:param` segments match any one segment.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface RouteTable {
  allowedMethods(url: string): string[];
  /** The route a URL's path matches, as Fastify names it (`/v2/users/:user_id`), if any. */
  routeOf(url: string): string | undefined;
}

export function recordRoutes(app: FastifyInstance): RouteTable {
  const routes: Array<{ url: string; pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const source = route.url.replace(/\/$/, '').replace(/:[^/]+/g, '[^/]+');
    const methods = ([] as string[]).concat(route.method).filter((m) => m !== 'HEAD');
    routes.push({ url: route.url, pattern: new RegExp(`^${source}/?$`), methods });
  });
  const matching = (url: string) => {
    const path = url.split('?')[0] ?? url;
    return routes.filter((r) => r.pattern.test(path));
  };
  return {
    allowedMethods(url) {
      return [...new Set(matching(url).flatMap((r) => r.methods))];
    },
    routeOf(url) {
      return matching(url)[0]?.url;
    },
  };
}

export function methodNotAllowed(table: RouteTable, request: FastifyRequest): string[] | undefined {
  const allowed = table.allowedMethods(request.url);
  return allowed.length > 0 && !allowed.includes(request.method) ? allowed : undefined;
}
