/** What every use case is given: passed in, never imported globally, so tests can supply their own. */
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { KeyCache } from './auth/key-cache.js';
import type { Metrics } from './metrics.js';

export interface Deps {
  db: Db;
  config: Config;
  /** Current time in epoch milliseconds. */
  clock: () => number;
  /** API keys and their owners, cached by the rule in auth/key-cache.ts. */
  keys: KeyCache;
  /** Server secret from which link tokens are derived (ROSTER_SECRET or generated once). */
  serverSecret: string;
  /** A server's metrics (metrics.ts); one-shot commands have none. */
  metrics?: Metrics;
}
