/**
 * `roster <command>`: finds the command and turns failures into a message and an exit code
 * (1 when the request was refused, 2 for a usage or configuration error). bin/roster.js and
 * `npm start` (src/main.ts) both come through here.
 */
import { ConfigError } from '../config.js';
import { isUnavailable } from '../db/errors.js';
import { DomainError } from '../errors.js';
import { UsageError, printHelp, type Command } from './command.js';

/** Each command is loaded only when run, so `roster bootstrap` does not load the web server. */
const COMMANDS: readonly { name: string; summary: string; load: () => Promise<Command> }[] = [
  {
    name: 'serve',
    summary: 'Run the service (what npm start runs)',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    name: 'migrate',
    summary: 'Bring the database schema up to date',
    load: async () => (await import('./migrate.js')).migrateCommand,
  },
  {
    name: 'bootstrap',
    summary: 'Create an account with its first admin and an API key for that admin',
    load: async () => (await import('./bootstrap.js')).bootstrapCommand,
  },
  {
    name: 'api-keys',
    summary: 'Mint an API key for an existing developer (api-keys create)',
    load: async () => (await import('./api-keys.js')).apiKeysCommand,
  },
  {
    name: 'accounts',
    summary: 'Rename an account (accounts rename)',
    load: async () => (await import('./accounts.js')).accountsCommand,
  },
  {
    name: 'sso',
    summary: "Set, show or remove an account's single sign-on provider (sso set|show|remove)",
    load: async () => (await import('./sso.js')).ssoCommand,
  },
  {
    name: 'users',
    summary: "Print a one-time link to set a user's password (users password-link)",
    load: async () => (await import('./users.js')).usersCommand,
  },
  {
    name: 'audit',
    summary: 'Check the audit log for altered, removed or reordered entries (audit verify)',
    load: async () => (await import('./audit.js')).auditCommand,
  },
  {
    name: 'outbox',
    summary: 'List email not delivered yet: pending, being sent, or dead',
    load: async () => (await import('./outbox.js')).outboxCommand,
  },
  {
    name: 'mail',
    summary: 'List the email written to <data>/mail without SMTP, and print the latest',
    load: async () => (await import('./mail.js')).mailCommand,
  },
];

const HELP = `Usage: roster <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(11)} ${command.summary}`).join('\n')}

Run roster <command> --help for the options of a command.
Settings come from the environment (ROSTER_DATABASE_URL, ...); see roster serve --help.`;

function fail(message: string, code: number): number {
  process.stderr.write(`roster: ${message}\n`);
  return code;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    process.stderr.write(`${HELP}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') return printHelp(HELP);
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) return fail(`unknown command "${name}"; try roster --help`, 2);
  try {
    return await (await command.load()).run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      return fail(`${error.message} (see roster ${command.name} --help)`, 2);
    }
    if (error instanceof ConfigError) return fail(`configuration error: ${error.message}`, 2);
    if (error instanceof DomainError) return fail(error.message, 1);
    if (isUnavailable(error)) {
      return fail(`cannot reach the database: ${(error as Error).message}`, 1);
    }
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      return fail(`cannot listen: ${(error as Error).message}`, 1);
    }
    throw error;
  }
}
