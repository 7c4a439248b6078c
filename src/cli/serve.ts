/** `roster serve` and `npm start`: the service itself. */
import { loadConfig, type Config } from '../config.js';
import { bootstrapAccount, hasAccounts } from '../accounts/service.js';
import { startServer } from '../server.js';
import { parseOptions, printHelp, type Command } from './command.js';

export const serveCommand: Command = {
  help: `Usage: roster serve

Runs the API and the invitation pages on HOST:PORT, migrating the database first and
delivering queued email in the background. On first start with an empty database it
creates an account with the admin admin@example.com and prints that admin's API key once.
Stops cleanly on SIGINT or SIGTERM.

Environment (all optional):
  HOST, PORT                 where to listen (default 127.0.0.1:3000)
  ROSTER_DATABASE_URL        sqlite:<path> or postgres://... (default sqlite:./data/roster.db)
  ROSTER_DATA_DIR            data directory (default ./data)
  ROSTER_SMTP_URL            smtp://host:port; without it email is appended to <data>/mail/<day>.mbox
  ROSTER_MAIL_FROM           the From of every email
  ROSTER_PUBLIC_URL          base of the links in emails (default http://HOST:PORT)
  ROSTER_INVITATION_TTL      invitation lifetime in seconds (default 604800, 7 days)
  ROSTER_API_RATE_LIMIT      requests per minute per user, and per address for requests without
                             a valid key (default 1200; 0 turns it off)
  ROSTER_LOG_LEVEL           info by default; warn, error, debug...
  ROSTER_SECRET              signing secret (default: generated once and kept in the database)
  ROSTER_REDIS_URL           share rate limits across processes through Redis
  ROSTER_HEADERS_TIMEOUT     seconds a client has to send its headers (default 10), else 408
  ROSTER_REQUEST_TIMEOUT     seconds a client has to send a whole request (default 30), else 408`,

  async run(args) {
    const options = parseOptions(args, {});
    if (options.help) return printHelp(this.help);
    await serve(loadConfig());
    return 0;
  },
};

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
