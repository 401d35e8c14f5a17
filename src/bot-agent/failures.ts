import type { ErrorName } from '../../generated/bot-agent/errors.ts';
import type { FailureAnswers } from '../platform/error-handler.ts';

/**
 * The details of what the platform detects, as bot-agent's catalog documents them: every refusal
 * is INVALID_REQUEST_FORMAT, its `fields` each a field and what is wrong with it.
 */
export const failureAnswers: FailureAnswers<ErrorName> = {
  details(failure) {
    switch (failure.role) {
      case 'validation':
        return {
          fields: failure.issues.map((issue) => ({
            field: issue.field || issue.location,
            message: issue.message,
          })),
        };
      case 'malformedJson':
      case 'bodyTooLarge':
        return { fields: [{ field: 'body', message: failure.reason }] };
      case 'mediaType':
        return { fields: [{ field: 'Content-Type', message: failure.reason }] };
      case 'unknownPath':
        return {
          fields: [
            { field: 'path', message: `${failure.method} ${failure.path} is not an endpoint` },
          ],
        };
      default:
        return undefined;
    }
  },
};
