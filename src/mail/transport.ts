/**
 * Where mail goes: SMTP when ROSTER_SMTP_URL is set, otherwise a mailbox file a day under
 * <data>/mail, so a laptop needs no mail server. nodemailer builds every message.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface OutgoingEmail {
  /** The outbox row's id: the message is `<id@roster>`. */
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where a message that stays on this machine went: the mailbox file it was appended to. */
export interface LocalDelivery {
  mailbox: string;
}

export interface Transport {
  /** Sends one email; throws when it was not delivered (see isPermanent). */
  send(email: OutgoingEmail): Promise<LocalDelivery | void>;
  close(): void;
}

/** Whether a send's error is a refusal that will not change: an SMTP 5xx answer. */
export function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

function message(email: OutgoingEmail) {
  const { from, to, subject, text, html } = email;
  return { from, to, subject, text, html, messageId: `<${email.id}@roster>` };
}

export function smtpTransport(url: string): Transport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(email) {
      await transporter.sendMail(message(email));
    },
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
 * LF line ends and `>` added before each line that starts with `>`s and `From `, a blank line.
 * One file a day rather than one per message, so the directory stays easy to list and clear.
 */
export function fileTransport(directory: string, clock: () => number = Date.now): Transport {
  const composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  return {
    async send(email) {
      const info = await composer.sendMail(message(email));
      const escaped = (info.message as Buffer).toString('utf8').replace(/^(>*From )/gm, '>$1');
      const now = new Date(clock());
      const entry = `From MAILER-DAEMON ${asctime(now)}\n${escaped.replace(/\n?$/, '\n')}\n`;
      fs.mkdirSync(directory, { recursive: true });
      const mailbox = path.join(directory, `${now.toISOString().slice(0, 10)}.mbox`);
      fs.appendFileSync(mailbox, entry);
      return { mailbox };
    },
    close: () => composer.close(),
  };
}
