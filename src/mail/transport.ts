/**
 * Where mail goes: SMTP when ROSTER_SMTP_URL is set, otherwise `.eml` files under
 * <data>/mail (and the link in the log), so a laptop needs no mail server.
 */
import { writeFile as writeFileWithCallback } from 'node:fs';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

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
      await transporter.sendMail({ ...email, messageId: `<${email.id}@roster>` });
    },
    close: () => transporter.close(),
  };
}

// The callback API: fs/promises' writeFile (a FileHandle per file) cost twice the main
// thread's time per message.
const writeFile = promisify(writeFileWithCallback);

export function fileTransport(directory: string): Transport {
  return {
    async send(email) {
      // nodemailer's own MIME composer, without a transport around it: the stream transport
      // added a second pipeline per message and cost as much again. Lines end in \n, as its
      // newline: 'unix' option wrote them.
      const message = await new MailComposer({ ...email, messageId: `<${email.id}@roster>` })
        .compile()
        .build();
      const eml = Buffer.from(message.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');
      const file = path.join(directory, `${email.id}.eml`);
      // The directory is made when a write finds it missing, not before every email.
      try {
        await writeFile(file, eml);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await fs.mkdir(directory, { recursive: true });
        await writeFile(file, eml);
      }
    },
    close: () => {},
  };
}
