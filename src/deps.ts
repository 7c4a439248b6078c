/** What every use case is given: passed in, never imported globally, so tests can supply their own. */
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import type { KeyCache } from './auth/key-cache.js';
import type { OutboxWorker } from './mail/worker.js';

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
   * This process's outbox worker, when it runs one (a server does; a one-shot command does
   * not, and the email it queues waits for a server's poll). See mail/outbox.ts.
   */
  outbox?: Pick<OutboxWorker, 'leaseUntil' | 'committed'>;
}
