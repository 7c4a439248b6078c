import {
  ENVIRONMENT_HELP,
  parseOptions,
  print,
  printHelp,
  printJson,
  table,
  UsageError,
  type Command,
} from './command.js';
import { withDeps } from './deps.js';
import { listUndelivered, type UndeliveredEmail } from '../mail/outbox.js';
import { isoTime } from '../http/time.js';

function limitFrom(raw: string | undefined): number {
  if (raw === undefined) return 100;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10_000) {
    throw new UsageError('--limit must be a whole number from 1 to 10000');
  }
  return Number(raw);
}

function wire(email: UndeliveredEmail) {
  return {
    id: email.id,
    template: email.template,
    recipient: email.recipient,
    status: email.status,
    attempts: email.attempts,
    next_attempt_at: isoTime(email.nextAttemptAt),
    last_error: email.lastError,
    created_at: isoTime(email.createdAt),
  };
}

export const outboxCommand: Command = {
  help: `Usage: roster outbox [--limit N] [--json]

Lists the outbox rows that are pending, processing (being sent) or dead (given up), oldest
first: id, template, recipient, status, attempts, next attempt, last error. Sent email is not
listed. Never shows links or tokens.

Options:
  --limit N     at most N rows (default 100)
  --json        print a JSON array
  -h, --help    show this help

${ENVIRONMENT_HELP}`,

  async run(args) {
    const options = parseOptions(args, { limit: { type: 'string' }, json: { type: 'boolean' } });
    if (options.help) return printHelp(this.help);
    const limit = limitFrom(options.limit);
    const emails = await withDeps((deps) => listUndelivered(deps.db.kysely, limit));
    if (options.json) {
      printJson(emails.map(wire));
      return 0;
    }
    if (emails.length === 0) {
      print('No email waiting: every queued email was delivered.');
      return 0;
    }
    const header = [
      'ID',
      'TEMPLATE',
      'RECIPIENT',
      'STATUS',
      'ATTEMPTS',
      'NEXT ATTEMPT',
      'LAST ERROR',
    ];
    const rows = emails.map((email) => [
      email.id,
      email.template,
      email.recipient,
      email.status,
      String(email.attempts),
      email.status === 'dead' ? '-' : isoTime(email.nextAttemptAt),
      (email.lastError ?? '').replace(/\s+/g, ' '),
    ]);
    print(table([header, ...rows]));
    return 0;
  },
};
