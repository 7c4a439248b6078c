/** What every use case is given: passed in, never imported globally, so tests can supply their own. */
import type { Config } from './config.js';
import type { Db } from './db/connect.js';

export interface Deps {
  db: Db;
  config: Config;
  /** Current time in epoch milliseconds. */
  clock: () => number;
  /** Server secret from which link tokens are derived (ROSTER_SECRET or generated once). */
  serverSecret: string;
  /** Called after a transaction that queued email commits, so the worker sends it at once. */
  emailQueued: () => void;
}
