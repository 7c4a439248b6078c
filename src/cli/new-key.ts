/** What `bootstrap` and `api-keys create` print: the same ids and key, as JSON or for a person. */
import type { Bootstrapped } from '../accounts/service.js';
import { encodeId } from '../http/global-id.js';
import { PASSWORD_SETUP_TTL_MS, type PasswordSetupLink } from '../self-service/password-setup.js';
import { print, printJson } from './command.js';

export interface PrintedIds {
  accountId: string;
  userId: string;
}

/**
 * With `json`, exactly { account_id, user_id, api_key } (global ids), and `password_setup_url`
 * when a set-up link was made (bootstrap); otherwise `intro`, the key and the link.
 */
export function printNewKey(
  made: Bootstrapped,
  json: boolean | undefined,
  intro: (ids: PrintedIds) => string,
): number {
  const ids = {
    accountId: encodeId('Account', made.accountId),
    userId: encodeId('User', made.userId),
  };
  const setup = made.passwordSetup;
  if (json) {
    printJson({
      account_id: ids.accountId,
      user_id: ids.userId,
      api_key: made.apiKey,
      ...(setup ? { password_setup_url: setup.url } : {}),
    });
  } else {
    print(`${intro(ids)}\nAPI key (shown once, keep it safe): ${made.apiKey}`);
    if (setup) print(passwordSetupLine(setup));
  }
  return 0;
}

/** How a person is shown a set-up link: what it is for, and until when it works. */
export function passwordSetupLine(link: PasswordSetupLink): string {
  const until = new Date(link.expiresAt).toISOString();
  const hours = PASSWORD_SETUP_TTL_MS / 3_600_000;
  return `Set the password (one-time link, valid ${hours} hours, until ${until}): ${link.url}`;
}
