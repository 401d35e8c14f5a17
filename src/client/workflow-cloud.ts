import type { Client } from 'openapi-fetch';
import {
  catalog,
  type ErrorName,
  type OperationErrors,
} from '../../generated/workflow-cloud/errors.ts';
import type { components, paths } from '../../generated/workflow-cloud/schema.d.ts';
import {
  createServiceClient,
  type DocumentedPaths,
  describeErrorOf,
  type EntryOf,
  errorEntry,
  type NamesIn,
  type Narrowed,
  type RetryOptions,
  type ServiceClientOptions,
} from './core.ts';

export type { ErrorName, OperationErrors, paths, RetryOptions, ServiceClientOptions };
export { catalog };

type Entry<Name extends ErrorName> = EntryOf<typeof catalog.errors, Name>;

/** An error answer: HTTP 200 like every answer, with a non-zero `code`. */
export type WorkflowCloudError = components['schemas']['ErrorEnvelope'];

/** The answer of one error code (workflow-cloud's errors carry no details). */
export type WorkflowCloudErrorOf<Name extends ErrorName> = Omit<
  WorkflowCloudError,
  'code' | 'msg'
> & {
  code: Entry<Name>['code'];
  msg: Name;
};

type ErrorBodies = { [Name in ErrorName]: WorkflowCloudErrorOf<Name> };

/** What the workflow-cloud client narrows its answers with. */
interface WorkflowCloudErrorTypes {
  entries: (typeof catalog.errors)[number];
  bodies: ErrorBodies;
  envelope: WorkflowCloudError;
  operations: OperationErrors;
}

/** A workflow-cloud client: each operation's `data` is its success or the codes it documents. */
export type WorkflowCloudClient = Client<DocumentedPaths<paths, WorkflowCloudErrorTypes>>;

/**
 * A typed client of the workflow-cloud API, on the server or the mock. Its answers arrive as
 * `data` whether they succeed or not: tell them apart with `isSuccess` or `isApiError`. Its
 * seed says to wait 30 to 120 s before retrying (TASK_INSTANCE_MAXED): four attempts, waiting
 * 30 s, 60 s, 120 s. Every operation is a POST without an Idempotency-Key, so it retries only
 * with `retry: { retryNonIdempotent: true }`, for the operations that are safe to repeat.
 */
export function createWorkflowCloudClient(options: ServiceClientOptions): WorkflowCloudClient {
  const retry = { retries: 3, baseDelayMs: 30_000, maxDelayMs: 120_000 };
  return createServiceClient<paths, WorkflowCloudErrorTypes>(catalog, { retry }, options);
}

/** Whether an answer succeeded (`code` 0); narrows it to the operation's success. */
export function isSuccess<Answer extends { code: number }>(
  answer: Answer | undefined,
): answer is Extract<Answer, { code: 0 }> {
  return answer?.code === 0;
}

/**
 * Whether an answer is the error `name`, one of the codes the operation that answered
 * documents; narrows it to that code's answer.
 */
export function isApiError<Value, Name extends NamesIn<Value, ErrorBodies>>(
  answer: Value,
  name: Name,
): answer is Narrowed<Value, ErrorBodies[Name]> {
  return errorEntry(catalog, answer)?.name === name;
}

/** What the catalog says of a code: meaning, advice, whether to retry. */
export const describeError = describeErrorOf(catalog.errors);
