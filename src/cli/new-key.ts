/** What `bootstrap` and `api-keys create` print: the same ids and key, as JSON or for a person. */
import type { Bootstrapped } from '../accounts/service.js';
import { encodeId } from '../http/global-id.js';
import { print, printJson } from './command.js';

export interface PrintedIds {
  accountId: string;
  userId: string;
}

/** With `json`, exactly { account_id, user_id, api_key } (global ids); otherwise `intro` and the key. */
export function printNewKey(
  made: Bootstrapped,
  json: boolean | undefined,
  intro: (ids: PrintedIds) => string,
): number {
  const ids = {
    accountId: encodeId('Account', made.accountId),
    userId: encodeId('User', made.userId),
  };
  if (json) {
    printJson({ account_id: ids.accountId, user_id: ids.userId, api_key: made.apiKey });
  } else {
    print(`${intro(ids)}\nAPI key (shown once, keep it safe): ${made.apiKey}`);
  }
  return 0;
}
