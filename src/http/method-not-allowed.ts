/**
 * 405 instead of 404 when the path exists but not for this method, with an Allow header.
 * Routes are recorded as they are added; their `:param` segments match any one segment.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface RouteTable {
  allowedMethods(url: string): string[];
}

export function recordRoutes(app: FastifyInstance): RouteTable {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const source = route.url.replace(/\/$/, '').replace(/:[^/]+/g, '[^/]+');
    const methods = ([] as string[]).concat(route.method).filter((m) => m !== 'HEAD');
    routes.push({ pattern: new RegExp(`^${source}/?$`), methods });
  });
  return {
    allowedMethods(url) {
      const path = url.split('?')[0] ?? url;
      return [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods))];
    },
  };
}

export function methodNotAllowed(table: RouteTable, request: FastifyRequest): string[] | undefined {
  const allowed = table.allowedMethods(request.url);
  return allowed.length > 0 && !allowed.includes(request.method) ? allowed : undefined;
}
