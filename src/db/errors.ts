/** Recognising the database's own refusals, on either engine. */

function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** A unique index refused the write: someone else got there first. */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/**
 * PostgreSQL asks for the transaction to be tried again (serialization failure, deadlock).
 * SQLite never does: its transactions take the write lock when they begin (see connect.ts),
 * and a SQLITE_BUSY has already waited out the busy timeout, which is unavailability.
 */
export function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40001' || code === '40P01';
}

/**
 * The database cannot serve now (connection refused, reset, terminated, or locked; or the
 * PostgreSQL database named in the URL does not exist): a 503, and at start-up a one-line message.
 */
export function isUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  // SQLite's lock stayed taken by another process past the busy timeout.
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return true;
  if (
    code &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      '57P01',
      '57P03',
      '08006',
      '08001',
      '08003',
      // invalid_catalog_name: no database of that name on the server.
      '3D000',
    ].includes(code)
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    message,
  );
}
