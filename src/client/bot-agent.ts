import { catalog, type ErrorName } from '../../generated/bot-agent/errors.ts';
import type { components, paths } from '../../generated/bot-agent/schema.d.ts';
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

/** The body of every bot-agent error. */
export type BotAgentError = components['schemas']['ErrorResponse'];

/** The body of one bot-agent error code. */
export type BotAgentErrorOf<Name extends ErrorName> = BotAgentError & {
  error: { code: Name; numeric_code: Entry<Name>['code'] };
};

/** A typed client of the bot-agent API, on the server or the mock. */
export function createBotAgentClient(options: ServiceClientOptions) {
  return createServiceClient<paths>(catalog, options);
}

/** Whether `error` is the bot-agent error `name`; narrows it to that code's body. */
export function isApiError<Name extends ErrorName>(
  error: unknown,
  name: Name,
): error is BotAgentErrorOf<Name> {
  return errorEntry(catalog, error)?.name === name;
}

/** What the catalog says of a code: status, numeric code, messages, advice, whether to retry. */
export const describeError = describeErrorOf(catalog.errors);
