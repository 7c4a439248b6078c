/** Reads the .eml files the file transport writes (one message each; see src/mail/transport.ts). */
import fs from 'node:fs';
import path from 'node:path';

/** The .eml files of a mail directory, oldest first (their names start with the time). */
export function emlFiles(directory: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory)
    .filter((name) => name.endsWith('.eml'))
    .sort()
    .map((name) => path.join(directory, name));
}

/** One message as written, CRLF line ends and all. */
export function readEml(file: string): string {
  return fs.readFileSync(file, 'utf8');
}
