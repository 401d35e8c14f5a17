import type { ErrorName } from '../../generated/podi/errors.ts';
import type { FailureAnswers } from '../platform/error-handler.ts';
import { fastApiProblems, jsonDecodeProblem } from '../platform/fastapi-errors.ts';

/**
 * What podi answers for what the platform detects: FastAPI's bodies, which are no catalog code
 * (a 422 with the request's problems, the status's reason phrase otherwise); an unknown path is
 * NOT_FOUND, which carries no details.
 */
export const failureAnswers: FailureAnswers<ErrorName> = {
  details: () => undefined,
  body(failure, answer) {
    switch (failure.role) {
      case 'validation':
        return { detail: fastApiProblems(failure.issues) };
      case 'malformedJson':
        return { detail: [jsonDecodeProblem(failure.reason)] };
      default:
        return answer.example;
    }
  },
};
