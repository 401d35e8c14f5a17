import type { ErrorName } from '../../generated/divination/errors.ts';
import type { FailureAnswers } from '../platform/error-handler.ts';
import { fastApiProblems, jsonDecodeProblem } from '../platform/fastapi-errors.ts';

/**
 * The details of what the platform detects, as divination's catalog documents them: every
 * refusal is REQUEST_VALIDATION_ERROR, its `errors` FastAPI's; an unknown path is the catalog's
 * 404 problem as it is.
 */
export const failureAnswers: FailureAnswers<ErrorName> = {
  details(failure) {
    switch (failure.role) {
      case 'validation':
        return { errors: fastApiProblems(failure.issues) };
      case 'malformedJson':
        return { errors: [jsonDecodeProblem(failure.reason)] };
      case 'mediaType':
        return { errors: [{ loc: ['body'], msg: failure.reason, type: 'model_attributes_type' }] };
      case 'bodyTooLarge':
        return { errors: [{ loc: ['body'], msg: failure.reason, type: 'value_error' }] };
      default:
        return undefined;
    }
  },
  body: (_failure, answer) => answer.example,
};
