/**
 * The email a server without SMTP wrote under <data>/mail, one .eml file per message (see
 * fileTransport in transport.ts), read back for `roster mail`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { emlRecipient } from './transport.js';

export interface LocalMessage {
  file: string;
  date: Date;
  to: string[];
  subject: string;
  /** The message decoded (headers and parts). */
  parsed: ParsedMail;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  return [field ?? []]
    .flat()
    .flatMap((object) => object.value)
    .map((entry) => entry.address ?? '');
}

async function readMessage(file: string): Promise<LocalMessage> {
  const parsed = await simpleParser(fs.readFileSync(file));
  return {
    file,
    date: parsed.date ?? fs.statSync(file).mtime,
    to: addresses(parsed.to),
    subject: parsed.subject ?? '',
    parsed,
  };
}

/**
 * The `last` most recent messages in `directory`, oldest first, only those to `to` (any case)
 * when it is given. File names start with the time they were written, so the newest sort last;
 * with `to`, only files whose name holds that recipient are read.
 */
export async function recentLocalMail(
  directory: string,
  { to, last }: { to?: string; last: number },
): Promise<LocalMessage[]> {
  if (!fs.existsSync(directory)) return [];
  const wanted = to?.trim().toLowerCase();
  const names = fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.eml'))
    .filter((name) => !wanted || name.toLowerCase().includes(`_${emlRecipient(wanted)}`))
    .sort();
  const found: LocalMessage[] = [];
  for (const name of names.reverse()) {
    if (found.length === last) break;
    const message = await readMessage(path.join(directory, name));
    if (wanted && !message.to.some((address) => address.toLowerCase() === wanted)) continue;
    found.push(message);
  }
  return found.reverse();
}
