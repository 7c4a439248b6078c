/**
 * What every `roster` command is: its help, and a run function returning an exit code.
 * Exit codes: 0 done, 1 refused (unknown email, invalid value...), 2 usage or configuration
 * error. Also the option parsing and printing the commands share.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  help: string;
  run(args: string[]): Promise<number>;
}

/** The command line is wrong: a missing or unknown option. Exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses options strictly (no positionals); every command also takes --help / -h. */
export function parseOptions<const T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as T & {
        help: { type: 'boolean'; short: 'h' };
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function required(value: string | undefined, option: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${option} is required`);
  return value;
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printHelp(text: string): number {
  print(text);
  return 0;
}

/** Rows as columns of text, the first row the header, each column as wide as its widest cell. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One line of JSON: what --json prints, and nothing else. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Settings read from the environment by every command that opens the database. */
export const ENVIRONMENT_HELP = `Environment:
  ROSTER_DATABASE_URL   sqlite:<path> or postgres://... (default sqlite:./data/roster.db)
  ROSTER_DATA_DIR       data directory (default ./data)`;
