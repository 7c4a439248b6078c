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
  /**
   * Wakes this process's outbox worker after a transaction that queued email commits, when
   * it runs one (a server does; a one-shot command does not, and the email it queues waits
   * for a server's poll). See mail/outbox.ts.
   */
  /** A server's metrics (metrics.ts); one-shot commands have none. */
  metrics?: Metrics;
  outbox?: { wake(): void };
}
