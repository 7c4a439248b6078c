/**
 * Where mail goes: SMTP when ROSTER_SMTP_URL is set, otherwise `.eml` files under
 * <data>/mail (and the link in the log), so a laptop needs no mail server.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { composeMessage } from './mime.js';

export interface OutgoingEmail {
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Transport {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** A delivery failure the server said is final (5xx): retrying will not help. */
export function isPermanentFailure(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export function smtpTransport(url: string): Transport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as never);
  return {
    async send(email) {
      // The message is ours (mime.ts); nodemailer only speaks SMTP. It reads the envelope's
      // addresses as it read the headers' before, so their domains are punycoded alike.
      await transporter.sendMail({
        envelope: { from: email.from, to: email.to },
        raw: composeMessage(email),
        // Only so nodemailer does not draw random bytes to make one up for its own report.
        messageId: `<${email.id}@roster>`,
      });
    },
    close: () => transporter.close(),
  };
}

export function fileTransport(directory: string): Transport {
  return {
    async send(email) {
      // Lines end in \n, as nodemailer's newline: 'unix' option wrote them.
      const eml = composeMessage(email).replaceAll('\r\n', '\n');
      const file = path.join(directory, `${email.id}.eml`);
      // Written synchronously: handing open, write and close to the thread pool and back
      // cost about 300 µs of CPU per message, the three calls themselves about 35 µs. The
      // directory is made when a write finds it missing, not before every email.
      try {
        fs.writeFileSync(file, eml);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        fs.mkdirSync(directory, { recursive: true });
        fs.writeFileSync(file, eml);
      }
    },
    close: () => {},
  };
}
