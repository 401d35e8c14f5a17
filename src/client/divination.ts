import type { Client } from 'openapi-fetch';
import {
  catalog,
  type ErrorDetails,
  type ErrorName,
  type OperationErrors,
} from '../../generated/divination/errors.ts';
import type { components, paths } from '../../generated/divination/schema.d.ts';
import {
  createServiceClient,
  type DetailMembers,
  type DocumentedPaths,
  describeErrorOf,
  type EntryOf,
  errorEntry,
  type NamesIn,
  type Narrowed,
  type RetryOptions,
  type ServiceClientOptions,
} from './core.ts';

export type { ErrorDetails, ErrorName, OperationErrors, paths, RetryOptions, ServiceClientOptions };
export { catalog };

type Entry<Name extends ErrorName> = EntryOf<typeof catalog.errors, Name>;

/** An RFC 9457 problem of the divination API, as the document describes it. */
export type DivinationProblem = components['schemas']['Problem'];

/**
 * The body of one divination code, its details as members: a problem, or for a code answered
 * with a status (`TOOL_PENDING_APPROVAL`, a 202) that status answer.
 */
export type DivinationProblemOf<Name extends ErrorName> = (Entry<Name> extends { surface: 'body' }
  ? { code: Name; message: string }
  : Pick<DivinationProblem, 'type' | 'title' | 'detail' | 'instance'> & {
      code: Name;
      status: Entry<Name>['status'];
    }) &
  DetailMembers<ErrorDetails[Name]>;

type ErrorBodies = { [Name in ErrorName]: DivinationProblemOf<Name> };

/** What the divination client narrows its answers with. */
interface DivinationErrorTypes {
  entries: (typeof catalog.errors)[number];
  bodies: ErrorBodies;
  envelope: DivinationProblem;
  operations: OperationErrors;
}

/** A divination client: each operation's `error` is the problems of the codes it documents. */
export type DivinationClient = Client<DocumentedPaths<paths, DivinationErrorTypes>>;

/** One event of a run stream. */
export type RunEvent = components['schemas']['RunEvent'];

/**
 * A typed client of the divination API, on the server or the mock. It does not retry unless
 * asked (`retry: { retries: 3 }`): its seed's advice for every retryable code is for the user
 * ("show retry message and allow retry", "show wait message"), who should see it at once.
 */
export function createDivinationClient(options: ServiceClientOptions): DivinationClient {
  const retry = { retries: 0, baseDelayMs: 1000, maxDelayMs: 60_000 };
  return createServiceClient<paths, DivinationErrorTypes>(catalog, { retry }, options);
}

/**
 * Whether `error` is the divination error `name`, one of the codes the operation that answered
 * documents; narrows it to that code's problem, its details typed as members.
 */
export function isApiError<Value, Name extends NamesIn<Value, ErrorBodies>>(
  error: Value,
  name: Name,
): error is Narrowed<Value, ErrorBodies[Name]> {
  return errorEntry(catalog, error)?.name === name;
}

/** What the catalog says of a code: status, messages, handling advice, whether to retry. */
export const describeError = describeErrorOf(catalog.errors);

/**
 * The events of a run stream (`POST /agent/runs` with `parseAs: 'stream'`), with the `id` to
 * resume from with `Last-Event-ID`.
 */
export async function* runEvents(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<{ id: string | undefined; event: RunEvent }> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const id = /^id: ?(.*)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.replace(/^data: ?/, ''))
        .join('\n');
      if (data) {
        yield { id, event: JSON.parse(data) as RunEvent };
      }
      end = buffered.indexOf('\n\n');
    }
  }
}
