/**
 * Thrown by handlers to answer with a catalog code: `throw new ApiError('TASK_NOT_FOUND',
 * { task_id })`. Status, wire code and message come from the service's catalog, never from here.
 */
export class ApiError<Name extends string = string> extends Error {
  override name = 'ApiError';

  constructor(
    readonly code: Name,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, options);
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
