import { catalog, type ErrorName } from '../../generated/podi/errors.ts';
import type { components, paths } from '../../generated/podi/schema.d.ts';
import { entryOfCode } from '../catalog/envelopes.js';
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
type HttpEntry = Extract<(typeof catalog.errors)[number], { surface: 'http' }>;

/** The body of every podi HTTP error: `{"detail": "<CODE>"}`. */
export type PodiError = components['schemas']['HTTPError'];

/** The body of one podi HTTP error code. */
export type PodiErrorOf<Name extends HttpEntry['name']> = PodiError & { detail: Name };

/**
 * A typed client of the podi API, on the server or the mock. It retries the retryable HTTP
 * errors; a refused invocation is a 200 whose `taskId` carries the refusal (`ERR|Q1001|…`), which
 * it does not retry: `describeFailure(taskId)?.retryable` says whether to invoke again later.
 */
export function createPodiClient(options: ServiceClientOptions) {
  return createServiceClient<paths>(catalog, options);
}

/** Whether `error` is the podi HTTP error `name`; narrows it to that code's body. */
export function isApiError<Name extends HttpEntry['name']>(
  error: unknown,
  name: Name,
): error is PodiErrorOf<Name> {
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
