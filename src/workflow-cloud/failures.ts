import type { ErrorName } from '../../generated/workflow-cloud/errors.ts';
import type { FailureAnswers } from '../platform/error-handler.ts';

/** workflow-cloud's envelope, `{code, msg, data: null}`, carries no details. */
export const failureAnswers: FailureAnswers<ErrorName> = {
  details: () => undefined,
};
