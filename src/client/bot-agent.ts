import type { Client } from 'openapi-fetch';
import {
  catalog,
  type ErrorDetails,
  type ErrorName,
  type OperationErrors,
} from '../../generated/bot-agent/errors.ts';
import type { components, paths } from '../../generated/bot-agent/schema.d.ts';
import {
  createServiceClient,
  type DetailsMember,
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

/** The body of every bot-agent error, as the document describes it. */
export type BotAgentError = components['schemas']['ErrorResponse'];

/** The body of one bot-agent error code, with the details the catalog gives it. */
export type BotAgentErrorOf<Name extends ErrorName> = {
  error: Omit<BotAgentError['error'], 'code' | 'numeric_code' | 'details'> & {
    code: Name;
    numeric_code: Entry<Name>['code'];
  } & DetailsMember<ErrorDetails[Name]>;
};

type ErrorBodies = { [Name in ErrorName]: BotAgentErrorOf<Name> };

/** What the bot-agent client narrows its answers with. */
interface BotAgentErrorTypes {
  entries: (typeof catalog.errors)[number];
  bodies: ErrorBodies;
  envelope: BotAgentError;
  operations: OperationErrors;
}

/** A bot-agent client: each operation's `error` is the bodies of the codes it documents. */
export type BotAgentClient = Client<DocumentedPaths<paths, BotAgentErrorTypes>>;

/**
 * A typed client of the bot-agent API, on the server or the mock. Its seed says only "retry
 * later" and shows `retry_after`: so four attempts, waiting 1 s, 2 s, 4 s or `retry_after`
 * when longer, up to a minute.
 */
export function createBotAgentClient(options: ServiceClientOptions): BotAgentClient {
  const retry = { retries: 3, baseDelayMs: 1000, maxDelayMs: 60_000 };
  return createServiceClient<paths, BotAgentErrorTypes>(catalog, { retry }, options);
}

/**
 * Whether `error` is the bot-agent error `name`, one of the codes the operation that answered
 * documents; narrows it to that code's body, its `error.details` typed.
 */
export function isApiError<Value, Name extends NamesIn<Value, ErrorBodies>>(
  error: Value,
  name: Name,
): error is Narrowed<Value, ErrorBodies[Name]> {
  return errorEntry(catalog, error)?.name === name;
}

/** What the catalog says of a code: status, numeric code, messages, advice, whether to retry. */
export const describeError = describeErrorOf(catalog.errors);
