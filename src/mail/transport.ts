/**
 * Where mail goes: SMTP when ROSTER_SMTP_URL is set, otherwise a mailbox file a day under
 * <data>/mail (and the link in the log), so a laptop needs no mail server.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { composeMessage } from './mime.js';
import type { Outcome } from './sender.js';

export interface OutgoingEmail {
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Transport {
  /** Sends the emails; one outcome each, in order. */
  send(emails: OutgoingEmail[]): Promise<Outcome[]>;
  close(): void;
}

const SENT: Outcome = { sent: true };

/** The outcome of a send that threw: permanent when the server said so (5xx). */
export function failed(error: unknown): Outcome {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  const permanent = typeof code === 'number' && code >= 500 && code < 600;
  return { sent: false, error: message, permanent };
}

export function smtpTransport(url: string): Transport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as never);
  const sendOne = async (email: OutgoingEmail): Promise<Outcome> => {
    try {
      // The message is ours (mime.ts); nodemailer only speaks SMTP. It reads the envelope's
      // addresses as it read the headers' before, so their domains are punycoded alike.
      await transporter.sendMail({
        envelope: { from: email.from, to: email.to },
        raw: composeMessage(email),
        // Only so nodemailer does not draw random bytes to make one up for its own report.
        messageId: `<${email.id}@roster>`,
      });
      return SENT;
    } catch (error) {
      return failed(error);
    }
  };
  return {
    send: (emails) => Promise.all(emails.map(sendOne)),
    close: () => transporter.close(),
  };
}

/** `Mon Nov 23 17:00:00 2026`: the date of an mbox `From ` line (asctime, UTC). */
function asctime(date: Date): string {
  const [weekday, day, month, year, time] = date.toUTCString().replace(',', '').split(' ');
  return `${weekday} ${month} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`;
}

/**
 * Appends each message to `<directory>/<YYYY-MM-DD>.mbox` (the UTC day it was written), in
 * the mboxrd format every mail client and `mutt -f` opens: a `From ` line, the message with
 * LF line ends and `>` added before each line that starts with `>`s and `From `, a blank line
 * (composeMessage ends the message with a line end).
 *
 * One file a day, not one per message: creating a file costs the file system far more than
 * appending to one (up to a millisecond each on a fresh ext4 directory, against a few
 * microseconds), and a directory of a million files is hard to list or clear. The messages of
 * a batch are one append (O_APPEND): processes sharing the directory do not interleave
 * messages, and a batch costs one open, write and close, not one each.
 */
export function fileTransport(directory: string, clock: () => number = Date.now): Transport {
  return {
    async send(emails) {
      const now = new Date(clock());
      const separator = `From MAILER-DAEMON ${asctime(now)}\n`;
      let entries = '';
      const outcomes = emails.map((email) => {
        try {
          const message = composeMessage(email)
            .replaceAll('\r\n', '\n')
            .replace(/^(>*From )/gm, '>$1');
          entries += `${separator}${message}\n`;
          return SENT;
        } catch (error) {
          return failed(error);
        }
      });
      if (entries === '') return outcomes;
      const file = path.join(directory, `${now.toISOString().slice(0, 10)}.mbox`);
      // Written synchronously: handing the append to the thread pool and back costs more than
      // the append. The directory is made when a write finds it missing, not before every batch.
      try {
        try {
          fs.appendFileSync(file, entries);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          fs.mkdirSync(directory, { recursive: true });
          fs.appendFileSync(file, entries);
        }
      } catch (error) {
        const outcome = failed(error);
        return outcomes.map((composed) => (composed.sent ? outcome : composed));
      }
      return outcomes;
    },
    close: () => {},
  };
}
