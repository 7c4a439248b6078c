/** `roster serve` and `npm start`: the service itself. */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config.js';
import { bootstrapAccount, hasAccounts } from '../accounts/service.js';
import { startServer } from '../server.js';
import { encodeId } from '../http/global-id.js';
import { parseOptions, printHelp, type Command } from './command.js';
import { passwordSetupLine } from './new-key.js';

export const serveCommand: Command = {
  help: `Usage: roster serve

Runs the API and the invitation pages on HOST:PORT, migrating the database first and
delivering queued email in the background. On first start with an empty database it
creates an account with the admin admin@example.com and prints that admin's API key and a
one-time link (valid 24 hours) to set that admin's password, once.
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
  ROSTER_ACCOUNT_NAME        the name of the account the first start creates (default Default)

  ROSTER_HEADERS_TIMEOUT     seconds a client has to send its headers (default 10), else 408
  ROSTER_REQUEST_TIMEOUT     seconds a client has to send a whole request (default 30), else 408`,

  async run(args) {
    const options = parseOptions(args, {});
    if (options.help) return printHelp(this.help);
    await serve(loadConfig());
    return 0;
  },
};

const VERSION = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** The database, as a log may show it: no password. */
function describeDatabase(database: Config['database']): string {
  if (database.dialect === 'sqlite') return `sqlite:${database.file}`;
  const url = new URL(database.url);
  url.password = '';
  return url.toString();
}

/** Where email goes, as a log may show it: the server, no credentials. */
function describeSmtp(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.host}`;
}

export async function serve(config: Config): Promise<void> {
  const server = await startServer(config);
  const { app, deps } = server;
  if (!(await hasAccounts(deps))) {
    const first = await bootstrapAccount(deps, {
      accountName: config.firstAccountName,
      email: 'admin@example.com',
      name: 'Admin',
    });
    // PORT=0 picks the port at listen time: a public URL derived from it cannot name the port.
    const setupUrl = /:0$/.test(config.publicUrl)
      ? first.passwordSetup.url.replace(config.publicUrl, server.url)
      : first.passwordSetup.url;
    // Shown once, and never logged: to the terminal, or to stderr when stdout carries JSON logs.
    const out = process.stdout.isTTY ? process.stdout : process.stderr;
    out.write(
      [
        '',
        `First start: created the account "${config.firstAccountName}" with the admin admin@example.com.`,
        `Admin API key (shown once, keep it safe): ${first.apiKey}`,
        'Try it:',
        `  curl -H "Authorization: Bearer ${first.apiKey}" ${server.url}/v2/users`,
        passwordSetupLine({ ...first.passwordSetup, url: setupUrl }),
        'A new key later: npx roster api-keys create --email admin@example.com',
        'A new password link later: npx roster users password-link --email admin@example.com',
        `Rename the account: npx roster accounts rename --account-id ${encodeId('Account', first.accountId)} --name "..."`,
        '',
      ].join('\n') + '\n',
    );
  }
  app.log.info(
    {
      version: VERSION,
      database: describeDatabase(config.database),
      publicUrl: config.publicUrl,
      email: config.smtpUrl ? describeSmtp(config.smtpUrl) : path.join(config.dataDir, 'mail'),
      docs: `${server.url}/docs`,
    },
    `Roster ${VERSION} started`,
  );
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
