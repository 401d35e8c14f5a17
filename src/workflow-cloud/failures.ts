import type { ErrorName } from '../../generated/workflow-cloud/errors.ts';
import type { FailureAnswers } from '../platform/error-handler.ts';

/** What the platform detects carries no details in workflow-cloud's envelope: `data` is null. */
export const failureAnswers: FailureAnswers<ErrorName> = {
  details: () => undefined,
};
