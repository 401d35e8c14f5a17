import { catalog, type ErrorName } from '../../generated/divination/errors.ts';
import type { components, paths } from '../../generated/divination/schema.d.ts';
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

/** An RFC 9457 problem of the divination API. */
export type DivinationProblem = components['schemas']['Problem'];

/** The problem of one divination error code. */
export type DivinationProblemOf<Name extends ErrorName> = DivinationProblem & {
  code: Name;
  status: Entry<Name>['status'];
};

/** One event of a run stream. */
export type RunEvent = components['schemas']['RunEvent'];

/** A typed client of the divination API, on the server or the mock. */
export function createDivinationClient(options: ServiceClientOptions) {
  return createServiceClient<paths>(catalog, options);
}

/** Whether `error` is the divination error `name`; narrows it to that code's problem. */
export function isApiError<Name extends ErrorName>(
  error: unknown,
  name: Name,
): error is DivinationProblemOf<Name> {
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
