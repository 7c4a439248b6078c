import { mintKeyForUser } from '../accounts/service.js';
import {
  ENVIRONMENT_HELP,
  parseOptions,
  print,
  printHelp,
  required,
  UsageError,
  type Command,
} from './command.js';
import { withDeps } from './deps.js';
import { printNewKey } from './new-key.js';

const CREATE_HELP = `Usage: roster api-keys create --email EMAIL [--account-id ACCOUNT_ID] [--name NAME] [--json]

Mints an API key for an existing active developer user, found by email.

Options:
  --email EMAIL              the user's email address (compared case-insensitively)
  --account-id ACCOUNT_ID    the account (its account_id, as roster bootstrap prints it);
                             needed when several accounts have a user with that email
  --name NAME                the key's name (default: cli)
  --json                     print only { "account_id", "user_id", "api_key" } as JSON
  -h, --help                 show this help

The API key is shown once and never again.

${ENVIRONMENT_HELP}`;

export const apiKeysCommand: Command = {
  help: `Usage: roster api-keys <subcommand> [options]

Subcommands:
  create    mint an API key for an existing developer user

Run roster api-keys create --help for its options.`,

  async run(args) {
    const [subcommand, ...rest] = args;
    if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
      print(this.help);
      return subcommand === undefined ? 2 : 0;
    }
    if (subcommand !== 'create') {
      throw new UsageError(
        `unknown subcommand "api-keys ${subcommand}"; try roster api-keys --help`,
      );
    }
    return createKey(rest);
  },
};

async function createKey(args: string[]): Promise<number> {
  const options = parseOptions(args, {
    email: { type: 'string' },
    'account-id': { type: 'string' },
    name: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (options.help) return printHelp(CREATE_HELP);
  const email = required(options.email, '--email');
  const made = await withDeps((deps) =>
    mintKeyForUser(deps, { email, accountId: options['account-id'], name: options.name }),
  );
  return printNewKey(
    made,
    options.json,
    ({ accountId, userId }) =>
      `Created an API key for ${email} (user_id ${userId}, account_id ${accountId}).`,
  );
}
