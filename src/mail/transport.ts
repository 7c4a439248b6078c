/**
 * Where mail goes: SMTP when ROSTER_SMTP_URL is set, otherwise one .eml file per message under
 * <data>/mail, so a laptop needs no mail server. nodemailer builds every message.
 */
import fs from 'node:fs/promises';
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

/** Where a message that stays on this machine went: the .eml file written for it. */
export interface LocalDelivery {
  file: string;
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

/** The most octets a line of a message may hold (RFC 5322), its CRLF not counted. */
const MAX_LINE_OCTETS = 998;

/**
 * A text part whose every line stays whole in the message, so a link can be copied from the raw
 * message as it is: sent as it is (7bit, or 8bit when not ASCII), where nodemailer would choose
 * quoted-printable for lines over 76 characters and break the link with soft line breaks and
 * `=3D`. A part with a line too long for any transfer (no link line ever is: only text built of
 * a very long name can be) is left to nodemailer's own encoding.
 */
function wholeLines(content: string, contentType: string) {
  const lines = content.split(/\r\n|\r|\n/);
  if (lines.some((line) => Buffer.byteLength(line) > MAX_LINE_OCTETS)) return lines.join('\r\n');
  const encoding = /^[\x20-\x7e\t]*$/.test(lines.join('')) ? '7bit' : '8bit';
  return {
    raw: [
      `Content-Type: ${contentType}; charset=utf-8`,
      `Content-Transfer-Encoding: ${encoding}`,
      '',
      lines.join('\r\n'),
    ].join('\r\n'),
  };
}

function message(email: OutgoingEmail) {
  const { from, to, subject } = email;
  return {
    from,
    to,
    subject,
    text: wholeLines(email.text, 'text/plain'),
    html: wholeLines(email.html, 'text/html'),
    messageId: `<${email.id}@roster>`,
  };
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

/**
 * The recipient as an .eml file's name holds it: letters, digits and `@._+-` kept, anything else
 * `_`, at most 150 characters.
 */
export function emlRecipient(recipient: string): string {
  return recipient.replace(/[^A-Za-z0-9@._+-]/g, '_').slice(0, 150);
}

/**
 * `2026-11-03T09-05-07.123Z_grace@example.com.eml`: the UTC time it was written (so names sort
 * by time) and the recipient, in characters every filesystem accepts. A second message of the
 * same millisecond for the same recipient gets `_2`, `_3`... before `.eml` (sorting after it).
 */
export function emlFileName(time: number, recipient: string, copy = 1): string {
  const stamp = new Date(time).toISOString().replace(/:/g, '-');
  return `${stamp}_${emlRecipient(recipient)}${copy > 1 ? `_${copy}` : ''}.eml`;
}

/**
 * Writes each message to a file of its own under `directory` (see emlFileName), which any mail
 * client opens: an RFC 5322 message with CRLF line ends. A file is never overwritten.
 */
export function fileTransport(directory: string, clock: () => number = Date.now): Transport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return {
    async send(email) {
      const info = await composer.sendMail(message(email));
      const time = clock();
      let made = false;
      for (let copy = 1; ;) {
        const file = path.join(directory, emlFileName(time, email.to, copy));
        try {
          await fs.writeFile(file, info.message as Buffer, { flag: 'wx' });
          return { file };
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'EEXIST') copy++;
          else if (code === 'ENOENT' && !made) {
            // The first message, or the directory was removed: made (once) and written again.
            await fs.mkdir(directory, { recursive: true });
            made = true;
          } else throw error;
        }
      }
    },
    close: () => composer.close(),
  };
}
