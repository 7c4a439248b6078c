import type { Config } from '../config.js';
import { bootstrapAccount, hasAccounts } from '../accounts/service.js';
import { startServer } from '../server.js';

export async function serve(config: Config): Promise<void> {
  const server = await startServer(config);
  const { app, deps } = server;
  if (!(await hasAccounts(deps))) {
    const first = await bootstrapAccount(deps, {
      accountName: 'Default',
      email: 'admin@example.com',
      name: 'Admin',
    });
    // Printed once, to the terminal only: this is the only time the key is shown.
    process.stdout.write(
      [
        '',
        'First start: created the account "Default" with the admin admin@example.com.',
        `Admin API key (shown once, keep it safe): ${first.apiKey}`,
        'Try it:',
        `  curl -H "Authorization: Bearer ${first.apiKey}" ${server.url}/v2/users`,
        '',
      ].join('\n') + '\n',
    );
  }
  app.log.info(`Roster listening on ${server.url} (API docs at ${server.url}/docs)`);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
