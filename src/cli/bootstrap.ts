import { bootstrapAccount } from '../accounts/service.js';
import { ENVIRONMENT_HELP, parseOptions, printHelp, required, type Command } from './command.js';
import { withDeps } from './deps.js';
import { printNewKey } from './new-key.js';

export const bootstrapCommand: Command = {
  help: `Usage: roster bootstrap --email EMAIL --name NAME [--account ACCOUNT_NAME] [--json]

Creates a new account, an active admin (a developer, so its API keys work) and an API key
for that admin. Each run creates a new account, on an empty or a populated database.

Options:
  --email EMAIL          the admin's email address
  --name NAME            the admin's display name
  --account NAME         the account's name (default: "<NAME>'s account")
  --json                 print only { "account_id", "user_id", "api_key" } as JSON
  -h, --help             show this help

The API key is shown once and never again.

${ENVIRONMENT_HELP}`,

  async run(args) {
    const options = parseOptions(args, {
      email: { type: 'string' },
      name: { type: 'string' },
      account: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (options.help) return printHelp(this.help);
    const email = required(options.email, '--email');
    const name = required(options.name, '--name');
    const accountName = options.account ?? `${name.trim()}'s account`;
    const made = await withDeps((deps) => bootstrapAccount(deps, { accountName, email, name }));
    return printNewKey(
      made,
      options.json,
      ({ accountId, userId }) =>
        `Created the account "${accountName}" (account_id ${accountId})\n` +
        `with the admin ${email} (user_id ${userId}).`,
    );
  },
};
