import { failureAnswers as botAgent } from '../src/bot-agent/failures.ts';
import { failureAnswers as divination } from '../src/divination/failures.ts';
import type { FailureAnswers } from '../src/platform/error-handler.ts';
import { failureAnswers as podi } from '../src/podi/failures.ts';
import { failureAnswers as taskMarket } from '../src/task-market/errors.ts';
import { failureAnswers as workflowCloud } from '../src/workflow-cloud/failures.ts';

/**
 * What each service answers for what the platform detects (bad input, unknown paths…): the
 * server's own answers, so its mock refuses a request exactly as it does.
 */
export const serviceFailures: Record<string, FailureAnswers<string>> = {
  'task-market': taskMarket,
  'bot-agent': botAgent,
  divination,
  'workflow-cloud': workflowCloud,
  podi,
};
