import { catalog, type ErrorDetails, type ErrorName } from '../../generated/task-market/errors.ts';
import { ApiError, type DetailsArgs } from '../platform/api-error.ts';
import type { FailureAnswers } from '../platform/error-handler.ts';

export type { ErrorName };
export { catalog };

/**
 * A task-market answer with a catalog code, its details typed by the catalog:
 * `throw new TaskMarketError('TASK_NOT_FOUND', { task_id })`.
 */
export class TaskMarketError<Name extends ErrorName = ErrorName> extends ApiError<Name> {
  constructor(code: Name, ...[details, options]: DetailsArgs<ErrorDetails[Name]>) {
    super(code, details, options);
  }
}

/** The details of what the platform detects, as task-market's catalog documents them. */
export const failureAnswers: FailureAnswers<ErrorName> = {
  details(failure) {
    switch (failure.role) {
      case 'validation': {
        const [first] = failure.issues;
        return {
          field: first?.field || first?.location || 'request',
          reason: first?.message ?? 'invalid request',
        };
      }
      case 'malformedJson':
        return { reason: failure.reason };
      case 'mediaType':
        return { field: 'Content-Type', reason: failure.reason };
      case 'bodyTooLarge':
        return { field: 'body', reason: failure.reason };
      case 'unknownPath':
        return { method: failure.method, path: failure.path };
      default:
        return undefined;
    }
  },
};
