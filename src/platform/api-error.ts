/**
 * Thrown by handlers to answer with a catalog code: `throw new ApiError('TASK_NOT_FOUND',
 * { task_id })`. Status, wire code and message come from the service's catalog, never from here;
 * each service narrows the details to its catalog's types with `DetailsArgs`.
 */
export class ApiError<Name extends string = string> extends Error {
  override name = 'ApiError';

  constructor(
    readonly code: Name,
    readonly details?: object,
    options?: { cause?: unknown },
  ) {
    super(code, options);
  }
}

/** Whether `error` is an ApiError, of any service. */
export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/**
 * The arguments after a code: its details as the catalog types them (`ErrorDetails[Name]` of
 * generated/<service>/errors.ts), which may be left out only when the code has no required ones.
 */
// biome-ignore lint/complexity/noBannedTypes: `{}` here asks whether any key is required.
export type DetailsArgs<Details> = {} extends Details
  ? [details?: Details, options?: { cause?: unknown }]
  : [details: Details, options?: { cause?: unknown }];
