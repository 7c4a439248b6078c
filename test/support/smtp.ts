/** A real SMTP server, in-process, that keeps what it receives. */
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface TestSmtp {
  url: string;
  port: number;
  received: ReceivedEmail[];
  /** Decide per message: undefined accepts; an Error with responseCode rejects. */
  onMessage: ((session: SMTPServerSession) => Error | undefined) | undefined;
  /** Resolves once `count` emails matching `filter` arrived. */
  waitFor(
    filter: (email: ReceivedEmail) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<ReceivedEmail[]>;
  to(address: string): ReceivedEmail[];
  close(): Promise<void>;
}

export async function startSmtp(port = 0): Promise<TestSmtp> {
  const received: ReceivedEmail[] = [];
  const smtp: TestSmtp = {
    url: '',
    port: 0,
    received,
    onMessage: undefined,
    async waitFor(filter, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matches = received.filter(filter);
        if (matches.length >= count) return matches;
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${count} email(s), got ${matches.length} within ${timeoutMs} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    to(address) {
      return received.filter((email) => email.to.includes(address.toLowerCase()));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const refusal = smtp.onMessage?.(session);
        if (refusal) return callback(refusal);
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              raw,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  smtp.port = typeof address === 'object' && address ? address.port : port;
  smtp.url = `smtp://127.0.0.1:${smtp.port}`;
  return smtp;
}

/** The first link in an email's text that starts with `prefix`. */
export function linkIn(email: ReceivedEmail, prefix: string): string {
  const match = email.text.match(/https?:\/\/\S+/g)?.find((link) => link.includes(prefix));
  if (!match) throw new Error(`no link containing ${prefix} in email: ${email.text}`);
  return match;
}
