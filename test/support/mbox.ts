/** Reads the mailbox files the file transport writes (mboxrd; see src/mail/transport.ts). */
import fs from 'node:fs';
import path from 'node:path';

/** The messages of one mbox file, in order, with their `>From ` lines unescaped. */
export function readMbox(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return text
    .split(/^From .*\n/m)
    .slice(1)
    .map((entry) => entry.replace(/\n$/, '').replace(/^>(>*From )/gm, '$1'));
}

/** The mbox files of a mail directory. */
export function mboxFiles(directory: string): string[] {
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.mbox'))
    .map((name) => path.join(directory, name));
}
