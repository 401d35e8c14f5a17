import type { Client } from 'openapi-fetch';
import { catalog, type ErrorName, type OperationErrors } from '../../generated/podi/errors.ts';
import type { components, paths } from '../../generated/podi/schema.d.ts';
import { entryOfCode } from '../catalog/envelopes.js';
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
type HttpName = Extract<(typeof catalog.errors)[number], { surface: 'http' }>['name'];

/** The body of every podi HTTP error, `{"detail": "<CODE>"}`, as the document describes it. */
export type PodiError = components['schemas']['HTTPError'];

/** The body of one podi HTTP error code (podi's errors carry no details). */
export type PodiErrorOf<Name extends HttpName> = PodiError & { detail: Name };

type ErrorBodies = { [Name in HttpName]: PodiErrorOf<Name> };

/** What the podi client narrows its answers with. */
interface PodiErrorTypes {
  entries: (typeof catalog.errors)[number];
  bodies: ErrorBodies;
  envelope: PodiError;
  operations: OperationErrors;
}

/** A podi client: each operation's `error` is the bodies of the HTTP codes it documents. */
export type PodiClient = Client<DocumentedPaths<paths, PodiErrorTypes>>;

/**
 * A typed client of the podi API, on the server or the mock. Its seed gives no retry advice:
 * four attempts, waiting 1 s, 2 s, 4 s (or Retry-After when longer, up to a minute). It retries
 * the retryable HTTP errors; a refused invocation is a 200 whose `taskId` carries the refusal
 * (`ERR|Q1001|…`), which it does not retry: `describeFailure(taskId)?.retryable` says whether to
 * invoke again later.
 */
export function createPodiClient(options: ServiceClientOptions): PodiClient {
  const retry = { retries: 3, baseDelayMs: 1000, maxDelayMs: 60_000 };
  return createServiceClient<paths, PodiErrorTypes>(catalog, { retry }, options);
}

/**
 * Whether `error` is the podi HTTP error `name`, one of the codes the operation that answered
 * documents; narrows it to that code's body.
 */
export function isApiError<Value, Name extends NamesIn<Value, ErrorBodies>>(
  error: Value,
  name: Name,
): error is Narrowed<Value, ErrorBodies[Name]> {
  return errorEntry(catalog, error)?.name === name;
}

/**
 * What the catalog says of a failure a resource carries after its request was answered: a
 * task's or run's `error_message`, a log's `debugResponse.error`, a test's `error`, a refused
 * invocation's `taskId` (`ERR|Q1001|…`). Undefined for no failure or a plain task id.
 */
export function describeFailure(value: string | null | undefined) {
  const entry = value ? entryOfCode(catalog, value) : undefined;
  return entry?.surface === 'field' ? (entry as Entry<ErrorName>) : undefined;
}

/** What the catalog says of a code: status, messages, advice, whether to retry. */
export const describeError = describeErrorOf(catalog.errors);
