import { cliOrigin } from '../audit/origin.js';
import fs from 'node:fs';
import { configureSso, removeSso, showSso, type SsoSettings } from '../sso/service.js';
import { encodeId } from '../http/global-id.js';
import { SSO_SCOPES } from '../sso/rules.js';
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

const SET_HELP = `Usage: roster sso set --account-id ACCOUNT_ID --issuer URL --client-id ID
                      [--client-secret-file FILE] [--enforced] [--json]

Sets the account's single sign-on (OpenID Connect) provider, replacing any it had, as
PUT /v2/sso does: Roster discovers the provider from URL/.well-known/openid-configuration
first and refuses one it cannot discover or use (exit 1, saying why).

The client secret is read from ROSTER_SSO_CLIENT_SECRET, or from FILE (- for standard
input), never from the command line. It is stored encrypted and never shown again.

Options:
  --account-id ACCOUNT_ID      the account (its account_id, as roster bootstrap prints it)
  --issuer URL                 the provider's issuer (https://, or http:// when
                               ROSTER_PUBLIC_URL is http://)
  --client-id ID               Roster's client id at the provider
  --client-secret-file FILE    read the client secret from FILE (- for standard input)
  --enforced                   refuse password sign-in to the account's users, except
                               admins (break-glass, logged)
  --json                       print the settings as JSON, as GET /v2/sso does
  -h, --help                   show this help

Register ROSTER_PUBLIC_URL/sso/callback as the redirect URI at the provider, with the
scopes ${SSO_SCOPES}.

${ENVIRONMENT_HELP}
  ROSTER_PUBLIC_URL     the address people reach Roster at (the redirect URI's base)
  ROSTER_SSO_CLIENT_SECRET  the client secret, when --client-secret-file is not given`;

const SHOW_HELP = `Usage: roster sso show --account-id ACCOUNT_ID [--json]

Shows the account's single sign-on provider (never its client secret: only its last 4
characters). Exit 1 when the account has none.

${ENVIRONMENT_HELP}`;

const REMOVE_HELP = `Usage: roster sso remove --account-id ACCOUNT_ID

Removes the account's single sign-on provider (nothing to do when it has none). Users
without a password then cannot sign in to the pages.

${ENVIRONMENT_HELP}`;

function toJson(settings: SsoSettings) {
  return {
    account_id: encodeId('Account', settings.accountId),
    issuer: settings.issuer,
    client_id: settings.clientId,
    client_secret_last4: settings.clientSecretLast4,
    enforced: settings.enforced,
    redirect_uri: settings.redirectUri,
    scopes: SSO_SCOPES,
    created_at: new Date(settings.createdAt).toISOString(),
    updated_at: new Date(settings.updatedAt).toISOString(),
  };
}

function describeSettings(settings: SsoSettings): string {
  return [
    `issuer         ${settings.issuer}`,
    `client id      ${settings.clientId}`,
    `client secret  ...${settings.clientSecretLast4}`,
    `enforced       ${settings.enforced ? 'yes (password sign-in only for admins)' : 'no'}`,
    `redirect URI   ${settings.redirectUri}`,
    `scopes         ${SSO_SCOPES}`,
  ].join('\n');
}

function clientSecret(file: string | undefined): string {
  const secret =
    file !== undefined
      ? fs.readFileSync(file === '-' ? 0 : file, 'utf8').replace(/\r?\n$/, '')
      : process.env.ROSTER_SSO_CLIENT_SECRET;
  if (!secret) {
    throw new UsageError(
      'the client secret is required: set ROSTER_SSO_CLIENT_SECRET or pass --client-secret-file',
    );
  }
  return secret;
}

export const ssoCommand: Command = {
  help: `Usage: roster sso <subcommand> [options]

Subcommands:
  set       set an account's single sign-on (OpenID Connect) provider
  show      show it (never the client secret)
  remove    remove it

Run roster sso <subcommand> --help for its options.`,

  async run(args) {
    const [subcommand, ...rest] = args;
    if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
      print(this.help);
      return subcommand === undefined ? 2 : 0;
    }
    if (subcommand === 'set') return set(rest);
    if (subcommand === 'show') return show(rest);
    if (subcommand === 'remove') return remove(rest);
    throw new UsageError(`unknown subcommand "sso ${subcommand}"; try roster sso --help`);
  },
};

async function set(args: string[]): Promise<number> {
  const options = parseOptions(args, {
    'account-id': { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret-file': { type: 'string' },
    enforced: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (options.help) return printHelp(SET_HELP);
  const accountId = required(options['account-id'], '--account-id');
  const input = {
    issuer: required(options.issuer, '--issuer'),
    clientId: required(options['client-id'], '--client-id'),
    clientSecret: clientSecret(options['client-secret-file']),
    enforced: options.enforced === true,
  };
  const settings = await withDeps((deps) =>
    configureSso(
      deps,
      {
        operatorAccountId: accountId,
        origin: cliOrigin('sso set', {
          account_id: accountId,
          issuer: input.issuer,
          client_id: input.clientId,
          enforced: input.enforced,
        }),
      },
      input,
    ),
  );
  if (options.json) printJson(toJson(settings));
  else print(`Single sign-on is set for the account ${accountId}:\n${describeSettings(settings)}`);
  return 0;
}

async function show(args: string[]): Promise<number> {
  const options = parseOptions(args, {
    'account-id': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (options.help) return printHelp(SHOW_HELP);
  const accountId = required(options['account-id'], '--account-id');
  const settings = await withDeps((deps) =>
    showSso(deps, { operatorAccountId: accountId, origin: cliOrigin('sso show') }),
  );
  if (options.json) printJson(toJson(settings));
  else print(describeSettings(settings));
  return 0;
}

async function remove(args: string[]): Promise<number> {
  const options = parseOptions(args, { 'account-id': { type: 'string' } });
  if (options.help) return printHelp(REMOVE_HELP);
  const accountId = required(options['account-id'], '--account-id');
  const { removed } = await withDeps((deps) =>
    removeSso(deps, {
      operatorAccountId: accountId,
      origin: cliOrigin('sso remove', { account_id: accountId }),
    }),
  );
  print(
    removed
      ? `Removed the single sign-on provider of the account ${accountId}.`
      : `The account ${accountId} had no single sign-on provider; nothing changed.`,
  );
  return 0;
}
