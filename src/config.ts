/**
 * Every setting Roster reads from the environment, parsed and validated in one place.
 * A bad value stops start-up with a message naming the variable.
 */
import path from 'node:path';

export type DatabaseConfig =
  { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

export interface Config {
  host: string;
  port: number;
  database: DatabaseConfig;
  dataDir: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  publicUrl: string;
  invitationTtlSeconds: number;
  apiRateLimitPerMinute: number;
  timeouts: Timeouts;
  logLevel: string;
  secret: string | undefined;
  redisUrl: string | undefined;
  production: boolean;
  /** The name of the account the first start creates. */
  firstAccountName: string;
  /** Audit entries older than this many days are removed by the server (audit/service.ts). */
  auditRetentionDays: number;
}

/**
 * How long a client may take (applied in app.ts): to send its headers, to send the whole request
 * (headers and body), and how long an idle keep-alive connection stays open. In milliseconds.
 */
export interface Timeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const host = env.HOST || '127.0.0.1';
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const dataDir = path.resolve(env.ROSTER_DATA_DIR || 'data');
  return {
    host,
    port,
    dataDir,
    database: databaseConfig(env.ROSTER_DATABASE_URL, dataDir),
    smtpUrl: smtpUrl(env.ROSTER_SMTP_URL),
    mailFrom: env.ROSTER_MAIL_FROM || 'Roster <roster@localhost>',
    publicUrl: publicUrl(env.ROSTER_PUBLIC_URL, host, port),
    invitationTtlSeconds: integer(env, 'ROSTER_INVITATION_TTL', 7 * 24 * 3600, 1, 10 * 365 * 86400),
    apiRateLimitPerMinute: integer(env, 'ROSTER_API_RATE_LIMIT', 1200, 0, 10_000_000),
    timeouts: timeouts(env),
    logLevel: logLevel(env.ROSTER_LOG_LEVEL),
    secret: secret(env.ROSTER_SECRET),
    redisUrl: env.ROSTER_REDIS_URL || undefined,
    production: env.NODE_ENV === 'production',
    firstAccountName: env.ROSTER_ACCOUNT_NAME?.trim() || 'Default',
    auditRetentionDays: integer(env, 'ROSTER_AUDIT_RETENTION_DAYS', 365, 1, 100 * 365),
  };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()))
    throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function timeouts(env: Env): Timeouts {
  const headers = integer(env, 'ROSTER_HEADERS_TIMEOUT', 10, 1, 3600);
  const request = integer(env, 'ROSTER_REQUEST_TIMEOUT', 30, 1, 3600);
  if (request < headers) {
    throw new ConfigError(
      `ROSTER_REQUEST_TIMEOUT (${request}) must be at least ROSTER_HEADERS_TIMEOUT (${headers})`,
    );
  }
  return { headersMs: headers * 1000, requestMs: request * 1000, keepAliveMs: 72_000 };
}

function databaseConfig(raw: string | undefined, dataDir: string): DatabaseConfig {
  if (!raw) return { dialect: 'sqlite', file: path.join(dataDir, 'roster.db') };
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file)
      throw new ConfigError(
        'ROSTER_DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/roster.db',
      );
    return { dialect: 'sqlite', file: file === ':memory:' ? file : path.resolve(file) };
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('ROSTER_DATABASE_URL is not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url: raw };
  }
  throw new ConfigError('ROSTER_DATABASE_URL must start with sqlite: or postgres://');
}

function smtpUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`ROSTER_SMTP_URL is not a URL: "${raw}"`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError('ROSTER_SMTP_URL must start with smtp:// or smtps://');
  }
  return raw;
}

/**
 * The base of links when ROSTER_PUBLIC_URL is not set: where Roster listens. With PORT=0 the
 * system picks the port at listen time, and the server makes it again with that port.
 */
export function defaultPublicUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Addresses that mean "every interface": no browser can reach a link made of one. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

function publicUrl(raw: string | undefined, host: string, port: number): string {
  if (!raw && WILDCARD_HOSTS.has(host)) {
    throw new ConfigError(
      `HOST=${host} listens on every interface, so links in emails cannot be made from it: ` +
        'set ROSTER_PUBLIC_URL to the address people reach Roster at (e.g. https://roster.example.com)',
    );
  }
  const value = raw || defaultPublicUrl(host, port);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`ROSTER_PUBLIC_URL is not a URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('ROSTER_PUBLIC_URL must be an http:// or https:// URL');
  }
  return value.replace(/\/+$/, '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(raw: string | undefined): string {
  const value = raw || 'info';
  if (!LOG_LEVELS.includes(value)) {
    throw new ConfigError(`ROSTER_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return value;
}

function secret(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (raw.length < 32) throw new ConfigError('ROSTER_SECRET must be at least 32 characters');
  return raw;
}
