/**
 * What Prometheus scrapes at /metrics (prom-client): requests by route and status, the outbox,
 * emails sent and failed, audit entries waiting for the sealer, the database pool, and the
 * process's own figures (memory, CPU, event-loop lag). Each server has a registry of its own.
 */
import client from 'prom-client';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Db } from './db/connect.js';
import type { RouteTable } from './http/method-not-allowed.js';
import { countUnsealed } from './audit/store.js';

export interface Metrics {
  registry: client.Registry;
  /** An email went out (`sent`), will be tried again (`retry`) or was given up (`dead`). */
  emailDelivery(outcome: 'sent' | 'retry' | 'dead'): void;
}

export function createMetrics(db: Db): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'roster_' });
  const emails = new client.Counter({
    name: 'roster_emails_total',
    help: 'Delivery attempts of this process, by outcome (sent, retry, dead)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new client.Gauge({
    name: 'roster_outbox_emails',
    help: 'Emails in the outbox not sent yet, by status (pending, processing, dead)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await db.kysely
        .selectFrom('outbox')
        .select(['status', sql<number>`count(*)`.as('count')])
        .where('status', 'in', ['pending', 'processing', 'dead'])
        .groupBy('status')
        .execute();
      this.reset();
      for (const status of ['pending', 'processing', 'dead']) {
        const row = rows.find((r) => r.status === status);
        this.set({ status }, Number(row?.count ?? 0));
      }
    },
  });
  new client.Gauge({
    name: 'roster_audit_unchained_entries',
    help: 'Audit entries written but not chained yet, of every process (sealed within about a second)',
    registers: [registry],
    async collect() {
      this.set(await countUnsealed(db.kysely));
    },
  });
  if (db.pool) {
    const pool = db.pool;
    new client.Gauge({
      name: 'roster_db_pool_connections',
      help: 'PostgreSQL pool connections, by state (idle, busy, waiting requests)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'busy' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }
  return { registry, emailDelivery: (outcome) => emails.inc({ outcome }) };
}

/**
 * Times every request by its route (the pattern, not the path) and status, and serves /metrics.
 * A 405 (a method its path does not take) counts under the route of its path.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, routes: RouteTable): void {
  const requests = new client.Histogram({
    name: 'roster_http_request_duration_seconds',
    help: 'HTTP requests, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics.registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route =
      request.routeOptions.url ??
      (reply.statusCode === 405 ? routes.routeOf(request.url) : undefined) ??
      'unmatched';
    requests.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
