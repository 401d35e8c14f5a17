// What a database error means, read from the error alone: no driver is loaded here, so code that
// only answers failures (the error handler, the mock) never needs one.

const unavailableCodes = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|NOTADB|CORRUPT|READONLY)/;

/**
 * PostgreSQL's (SQLSTATE classes 08 connection, 53 resources, 57P admin shutdown, 3D000 no such
 * database) and the socket's, when the server cannot be reached.
 */
const postgresUnavailable =
  /^(08\w{3}|53\w{3}|57P0[1-4]|3D000|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)$/;

/** Whether an error means the database cannot be reached or used at all (as opposed to a bug). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && (unavailableCodes.test(code) || postgresUnavailable.test(code))) ||
    /database connection is not open|driver has already been destroyed|Connection terminated|timeout exceeded when trying to connect/i.test(
      error.message,
    )
  );
}

/** Whether an error is a unique constraint refusing a row (SQLite's, PostgreSQL's 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}
