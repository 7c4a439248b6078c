import { renameAccount } from '../accounts/service.js';
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

const RENAME_HELP = `Usage: roster accounts rename --account-id ACCOUNT_ID --name NAME [--json]

Renames an account: the name invitees see in their email ("Join <name>") and on every page.

Options:
  --account-id ACCOUNT_ID    the account (its account_id, as roster bootstrap prints it)
  --name NAME                the new name
  --json                     print only { "account_id", "name" } as JSON
  -h, --help                 show this help

${ENVIRONMENT_HELP}`;

export const accountsCommand: Command = {
  help: `Usage: roster accounts <subcommand> [options]

Subcommands:
  rename    rename an account

Run roster accounts rename --help for its options.`,

  async run(args) {
    const [subcommand, ...rest] = args;
    if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
      print(this.help);
      return subcommand === undefined ? 2 : 0;
    }
    if (subcommand !== 'rename') {
      throw new UsageError(
        `unknown subcommand "accounts ${subcommand}"; try roster accounts --help`,
      );
    }
    const options = parseOptions(rest, {
      'account-id': { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (options.help) return printHelp(RENAME_HELP);
    const accountId = required(options['account-id'], '--account-id');
    const name = required(options.name, '--name');
    const renamed = await withDeps((deps) => renameAccount(deps, { accountId, name }));
    const account_id = encodeId('Account', renamed.accountId);
    if (options.json) printJson({ account_id, name: renamed.name });
    else print(`Renamed the account ${account_id} to "${renamed.name}".`);
    return 0;
  },
};
