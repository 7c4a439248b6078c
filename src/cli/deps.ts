/** The dependencies a one-shot command needs: the database (migrated), the server secret. */
import { loadConfig } from '../config.js';
import type { Deps } from '../deps.js';
import { connect } from '../db/connect.js';
import { migrate } from '../db/migrate.js';
import { loadServerSecret } from '../auth/server-secret.js';
import { startKeyCache } from '../auth/key-cache.js';

/** Opens the configured database, brings it up to date, runs `work`, and closes it. */
export async function withDeps<T>(work: (deps: Deps) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = connect(config.database);
  try {
    await migrate(db);
    const deps: Deps = {
      db,
      config,
      keys: startKeyCache(db, config.database, { listen: false }),
      clock: Date.now,
      serverSecret: await loadServerSecret(db, config.secret),
    };
    return await work(deps);
  } finally {
    await db.close();
  }
}
