import { passwordLinkFor } from '../accounts/password-link.js';
import { encodeId } from '../http/global-id.js';
import {
  ENVIRONMENT_HELP,
  parseOptions,
  print,
  printHelp,
  printJson,
  required,
  UsageError,
  type Command,
} from './command.js';
import { withDeps } from './deps.js';
import { passwordSetupLine } from './new-key.js';

const PASSWORD_LINK_HELP = `Usage: roster users password-link --email EMAIL [--account-id ACCOUNT_ID] [--json]

Prints a fresh one-time link (valid 24 hours) with which an active user sets a new password
and signs in: the way back in when every admin of an account is locked out, or for a user
who signs in through single sign-on and wants a password too. The user's previous unused
link stops working. An unknown, deleted or not yet registered user is refused (exit 1).

Options:
  --email EMAIL              the user's email address (compared case-insensitively)
  --account-id ACCOUNT_ID    the account (its account_id, as roster bootstrap prints it);
                             needed when several accounts have a user with that email
  --json                     print only { "account_id", "user_id", "password_setup_url",
                             "expires_at" } as JSON
  -h, --help                 show this help

The link is made on ROSTER_PUBLIC_URL (default http://HOST:PORT) and shown once; anyone who
has it can set the password, so hand it over as you would the password itself.

${ENVIRONMENT_HELP}
  ROSTER_PUBLIC_URL     the address people reach Roster at`;

export const usersCommand: Command = {
  help: `Usage: roster users <subcommand> [options]

Subcommands:
  password-link    print a one-time link to set an active user's password

Run roster users password-link --help for its options.`,

  async run(args) {
    const [subcommand, ...rest] = args;
    if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
      print(this.help);
      return subcommand === undefined ? 2 : 0;
    }
    if (subcommand !== 'password-link') {
      throw new UsageError(`unknown subcommand "users ${subcommand}"; try roster users --help`);
    }
    return passwordLink(rest);
  },
};

async function passwordLink(args: string[]): Promise<number> {
  const options = parseOptions(args, {
    email: { type: 'string' },
    'account-id': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (options.help) return printHelp(PASSWORD_LINK_HELP);
  const email = required(options.email, '--email');
  const link = await withDeps((deps) =>
    passwordLinkFor(deps, { email, accountId: options['account-id'] }),
  );
  const accountId = encodeId('Account', link.accountId);
  const userId = encodeId('User', link.userId);
  if (options.json) {
    printJson({
      account_id: accountId,
      user_id: userId,
      password_setup_url: link.url,
      expires_at: new Date(link.expiresAt).toISOString(),
    });
  } else {
    print(`A new link for ${email} (user_id ${userId}, account_id ${accountId}).`);
    print(passwordSetupLine(link));
  }
  return 0;
}
