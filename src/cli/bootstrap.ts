import { bootstrapAccount } from '../accounts/service.js';
import { ENVIRONMENT_HELP, parseOptions, printHelp, required, type Command } from './command.js';
import { withDeps } from './deps.js';
import { printNewKey } from './new-key.js';

export const bootstrapCommand: Command = {
  help: `Usage: roster bootstrap --email EMAIL --name NAME [--account ACCOUNT_NAME]
                        [--another-account] [--json]

Creates a new account, an active admin (a developer, so its API keys work), an API key
for that admin and a one-time link (valid 24 hours) to set the admin's password, on an
empty or a populated database. An email that already administers an
account is refused (exit 1, naming that account) unless --another-account is given; to get
a new key for an existing admin, use roster api-keys create.

Options:
  --email EMAIL          the admin's email address
  --name NAME            the admin's display name
  --account NAME         the account's name (default: "<NAME>'s account")
  --another-account      make a new account even if EMAIL already administers one
  --json                 print only { "account_id", "user_id", "api_key",
                         "password_setup_url" } as JSON
  -h, --help             show this help

The API key and the link are shown once and never again; the link is made on
ROSTER_PUBLIC_URL (default http://HOST:PORT). A new link later:
roster users password-link --email EMAIL.

${ENVIRONMENT_HELP}`,

  async run(args) {
    const options = parseOptions(args, {
      email: { type: 'string' },
      name: { type: 'string' },
      account: { type: 'string' },
      'another-account': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (options.help) return printHelp(this.help);
    const email = required(options.email, '--email');
    const name = required(options.name, '--name');
    const accountName = options.account ?? `${name.trim()}'s account`;
    const anotherAccount = options['another-account'] ?? false;
    const made = await withDeps((deps) =>
      bootstrapAccount(deps, { accountName, email, name, anotherAccount }),
    );
    return printNewKey(
      made,
      options.json,
      ({ accountId, userId }) =>
        `Created the account "${accountName}" (account_id ${accountId})\n` +
        `with the admin ${email} (user_id ${userId}).`,
    );
  },
};
