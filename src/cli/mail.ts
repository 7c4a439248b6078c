/** `roster mail`: the email a server without SMTP wrote under <data>/mail, listed and read. */
import path from 'node:path';
import { loadConfig } from '../config.js';
import { isoTime } from '../http/time.js';
import { recentLocalMail, type LocalMessage } from '../mail/local-mail.js';
import { parseOptions, print, printHelp, table, UsageError, type Command } from './command.js';

function lastFrom(raw: string | undefined): number {
  if (raw === undefined) return 10;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 1000) {
    throw new UsageError('--last must be a whole number from 1 to 1000');
  }
  return Number(raw);
}

/** One message as a person reads it: its headers, then its text (decoded). */
function decoded(message: LocalMessage): string {
  const { parsed } = message;
  const body = parsed.text ?? (typeof parsed.html === 'string' ? parsed.html : '');
  return [
    `File:    ${message.file}`,
    `Date:    ${isoTime(message.date.getTime())}`,
    `From:    ${parsed.from?.text ?? ''}`,
    `To:      ${message.to.join(', ')}`,
    `Subject: ${message.subject}`,
    '',
    body.trimEnd(),
  ].join('\n');
}

export const mailCommand: Command = {
  help: `Usage: roster mail [--to EMAIL] [--last N]

Without ROSTER_SMTP_URL, Roster writes each email to a file of its own under <data>/mail
(<time>_<recipient>.eml, which any mail client opens). This lists the N most recent of them,
oldest first (time, recipient, subject, file), then prints the most recent one decoded: its
headers and its text, with each link whole, ready to copy.

Options:
  --to EMAIL    only email to this address (any case)
  --last N      list at most N messages (default 10)
  -h, --help    show this help

Exit codes: 0 when a message was shown, 1 when there is none (to EMAIL), 2 for a usage error.

Environment:
  ROSTER_DATA_DIR       data directory (default ./data); the email is under <data>/mail`,

  async run(args) {
    const options = parseOptions(args, { to: { type: 'string' }, last: { type: 'string' } });
    if (options.help) return printHelp(this.help);
    const last = lastFrom(options.last);
    if (options.to !== undefined && options.to.trim() === '') {
      throw new UsageError('--to needs an email address');
    }
    const config = loadConfig();
    const directory = path.join(config.dataDir, 'mail');
    const messages = await recentLocalMail(directory, { to: options.to, last });
    const newest = messages.at(-1);
    if (!newest) {
      const whom = options.to ? ` to ${options.to}` : '';
      const smtp = config.smtpUrl ? ' (ROSTER_SMTP_URL is set: email goes to that server)' : '';
      process.stderr.write(`roster: no email${whom} under ${directory}${smtp}\n`);
      return 1;
    }
    const rows = messages.map((message) => [
      isoTime(message.date.getTime()),
      message.to.join(', '),
      message.subject,
      path.basename(message.file),
    ]);
    print(table([['TIME', 'TO', 'SUBJECT', 'FILE'], ...rows]));
    print(`\nThe most recent, decoded:\n\n${decoded(newest)}`);
    return 0;
  },
};
