import { catalog, type ErrorName } from '../../generated/workflow-cloud/errors.ts';
import type { components, paths } from '../../generated/workflow-cloud/schema.d.ts';
import {
  createServiceClient,
  describeErrorOf,
  type EntryOf,
  errorEntry,
  type ServiceClientOptions,
} from './core.ts';

export type { ErrorName, paths, ServiceClientOptions };
export { catalog };

type Entry<Name extends ErrorName> = EntryOf<typeof catalog.errors, Name>;

/** An error answer: HTTP 200 like every answer, with a non-zero `code`. */
export type WorkflowCloudError = components['schemas']['ErrorEnvelope'];

/** The answer of one error code. */
export type WorkflowCloudErrorOf<Name extends ErrorName> = WorkflowCloudError & {
  code: Entry<Name>['code'];
  msg: Name;
};

/**
 * A typed client of the workflow-cloud API, on the server or the mock. Its answers arrive as
 * `data` whether they succeed or not: tell them apart with `isSuccess` or `isApiError`.
 */
export function createWorkflowCloudClient(options: ServiceClientOptions) {
  return createServiceClient<paths>(catalog, options);
}

/** Whether an answer succeeded (`code` 0); narrows it to the operation's success. */
export function isSuccess<Answer extends { code: number }>(
  answer: Answer | undefined,
): answer is Extract<Answer, { code: 0 }> {
  return answer?.code === 0;
}

/** Whether an answer is the error `name`; narrows it to that code's answer. */
export function isApiError<Name extends ErrorName>(
  answer: unknown,
  name: Name,
): answer is WorkflowCloudErrorOf<Name> {
  return errorEntry(catalog, answer)?.name === name;
}

/** What the catalog says of a code: meaning, advice, whether to retry. */
export const describeError = describeErrorOf(catalog.errors);
