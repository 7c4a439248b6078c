/**
 * Start-up, in order: database -> migrations -> server secret -> app -> listen -> outbox worker
 * and email search indexer.
 * main.ts runs it for the `serve` command; tests run it with their own database and SMTP.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { defaultPublicUrl, type Config } from './config.js';
import { buildApp } from './app.js';
import { connect, type Db } from './db/connect.js';
import { migrate } from './db/migrate.js';
import type { Deps } from './deps.js';
import { loadServerSecret } from './auth/server-secret.js';
import { startKeyCache } from './auth/key-cache.js';
import { createMetrics } from './metrics.js';
import { fileTransport, smtpTransport } from './mail/transport.js';
import { startOutboxWorker, type WorkerOptions } from './mail/worker.js';
import { startEmailSearchIndexer } from './users/email-search.js';
import { startAuditSealer } from './audit/sealer.js';
import { startAuditRetention } from './audit/service.js';

export interface Server {
  app: FastifyInstance;
  deps: Deps;
  url: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  clock?: () => number;
  worker?: Partial<WorkerOptions>;
  /** How often the audit log's retention runs (audit/service.ts); tests shorten it. */
  auditRetention?: { intervalMs?: number; batchSize?: number };
  /** Fastify logger options or an instance (tests capture logs). */
  logger?: Parameters<typeof buildApp>[0]['logger'];
}

export async function openDatabase(config: Config): Promise<Db> {
  const db = connect(config.database);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** How long start-up waits for Redis before it listens without it. */
const REDIS_CONNECT_MS = 5000;

/** Whether the Redis connection is ready, or becomes so within `ms`. */
function connected(
  redis: { status: string; once(event: 'ready', f: () => void): unknown },
  ms: number,
) {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<Server> {
  const db = await openDatabase(config);
  const serverSecret = await loadServerSecret(db, config.secret);
  let app: FastifyInstance | undefined;
  const keys = startKeyCache(db, config.database, {
    listen: true,
    onLost: (error) =>
      app?.log.warn({ err: error }, 'API keys: change notifications lost; reading every key'),
  });
  const deps: Deps = {
    db,
    config,
    keys,
    metrics: createMetrics(db),
    clock: options.clock ?? Date.now,
    serverSecret,
  };
  const redis = config.redisUrl
    ? new (await import('ioredis')).Redis(config.redisUrl, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
      })
    : undefined;
  // Said once when Redis stops answering, and once when it answers again.
  let redisDown = false;
  redis
    ?.on('error', (error: Error) => {
      if (!redisDown) app?.log.warn({ err: error }, 'Redis does not answer');
      redisDown = true;
    })
    .on('ready', () => {
      if (redisDown) app?.log.info('Redis answers again');
      redisDown = false;
    });
  app = await buildApp({ deps, logger: options.logger, redis });
  if (redis && !(await connected(redis, REDIS_CONNECT_MS))) {
    app.log.warn(
      `Redis at ROSTER_REDIS_URL did not answer within ${REDIS_CONNECT_MS / 1000} s; ` +
        'rate limits are not counted until it does',
    );
  }
  await app.listen({
    host: config.host,
    port: config.port,
    listenTextResolver: (address) => `Roster listening on ${address}`,
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = defaultPublicUrl(config.host, port);
  if (config.publicUrl === defaultPublicUrl(config.host, config.port) && port !== config.port) {
    // Links made from HOST:PORT with PORT=0 name the port the system chose, not port 0.
    deps.config = { ...config, publicUrl: url };
  }
  const transport = config.smtpUrl
    ? smtpTransport(config.smtpUrl)
    : fileTransport(path.join(config.dataDir, 'mail'));
  const worker = startOutboxWorker(deps, transport, app.log, options.worker);
  db.outbox = worker;
  const emailSearch = startEmailSearchIndexer(deps, app.log);
  const auditSealer = startAuditSealer(db, app.log);
  const auditRetention = startAuditRetention(deps, app.log, options.auditRetention);
  return {
    app,
    deps,
    url,
    async close() {
      await app.close();
      await worker.stop();
      transport.close();
      await emailSearch.stop();
      await auditRetention.stop();
      await auditSealer.stop();
      await keys.close();
      redis?.disconnect();
      await db.close();
    },
  };
}
