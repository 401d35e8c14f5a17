// What a database error means, read from the error alone: no driver is loaded here, so code that
// only answers failures (the error handler, the mock) never needs one.

const unavailableCodes = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|NOTADB|CORRUPT|READONLY)/;

/** Whether an error means the database cannot be reached or used at all (as opposed to a bug). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  return (
    (typeof code === 'string' && unavailableCodes.test(code)) ||
    /database connection is not open|driver has already been destroyed/i.test(error.message)
  );
}

/** Whether an error is a unique constraint refusing a row. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
