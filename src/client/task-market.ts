import type { Client } from 'openapi-fetch';
import {
  catalog,
  type ErrorDetails,
  type ErrorName,
  type OperationErrors,
} from '../../generated/task-market/errors.ts';
import type { components, paths } from '../../generated/task-market/schema.d.ts';
import { canonicalRequest } from '../protocol/task-market-signature.ts';
import {
  createServiceClient,
  type DetailsMember,
  type DocumentedPaths,
  describeErrorOf,
  type EntryOf,
  errorEntry,
  type NamesIn,
  type Narrowed,
  type RetryDefaults,
  type RetryOptions,
  type ServiceClientOptions,
  type Transport,
} from './core.ts';

export type { ErrorDetails, ErrorName, OperationErrors, paths, RetryOptions };
export { catalog };

type Entry<Name extends ErrorName> = EntryOf<typeof catalog.errors, Name>;

/** The body of every task-market error, as the document describes it. */
export type TaskMarketError = components['schemas']['Error'];

/** The body of one task-market error code, with the details the catalog gives it. */
export type TaskMarketErrorOf<Name extends ErrorName> = Omit<
  TaskMarketError,
  'code' | 'details'
> & {
  code: Entry<Name>['code'];
} & DetailsMember<ErrorDetails[Name]>;

type ErrorBodies = { [Name in ErrorName]: TaskMarketErrorOf<Name> };

/** What the task-market client narrows its answers with. */
interface TaskMarketErrorTypes {
  entries: (typeof catalog.errors)[number];
  bodies: ErrorBodies;
  envelope: TaskMarketError;
  operations: OperationErrors;
}

/** A task-market client: each operation's `error` is the bodies of the codes it documents. */
export type TaskMarketClient = Client<DocumentedPaths<paths, TaskMarketErrorTypes>>;

/** What the task-market client takes. */
export interface TaskMarketClientOptions extends ServiceClientOptions {
  /**
   * The signing key of the current sign-in (`signing_key` of POST /auth/token), read at each
   * attempt; while it gives none, writes go unsigned (sign-in itself needs no signature).
   */
  signingKey?: () => string | undefined;
}

/**
 * The seed's retry strategy (seeds/task-market.md 3.2, `apiCallWithRetry`): three attempts
 * (`maxRetries = 3`), waiting 1 s then 2 s, or `retry_after` when longer, up to a minute (the
 * seed's `retry_after: 60`).
 */
const retryDefaults: RetryDefaults = { retries: 2, baseDelayMs: 1000, maxDelayMs: 60_000 };

/**
 * A typed client of the task-market API, on the server or the mock. Writes (POST, PUT) are
 * signed with `signingKey` as the requestSignature scheme requires, each attempt afresh, and
 * share one Idempotency-Key across their attempts, so they are retried like idempotent requests.
 */
export function createTaskMarketClient({
  signingKey,
  ...options
}: TaskMarketClientOptions): TaskMarketClient {
  return createServiceClient<paths, TaskMarketErrorTypes>(
    catalog,
    signingTransport(signingKey),
    options,
  );
}

/**
 * Whether `error` is the task-market error `name`, one of the codes the operation that answered
 * documents; narrows it to that code's body, its `details` typed.
 */
export function isApiError<Value, Name extends NamesIn<Value, ErrorBodies>>(
  error: Value,
  name: Name,
): error is Narrowed<Value, ErrorBodies[Name]> {
  return errorEntry(catalog, error)?.name === name;
}

/** What the catalog says of a code: status, wire code, messages, advice, whether to retry. */
export const describeError = describeErrorOf(catalog.errors);

/** Writes, which the requestSignature scheme covers. */
const isWrite = (request: Request) => request.method === 'POST' || request.method === 'PUT';

/** The task-market transport: the seed's retries, and the signature of writes. */
function signingTransport(signingKey: (() => string | undefined) | undefined): Transport {
  return {
    retry: retryDefaults,
    beforeAttempts(request) {
      // A signature is good once, so two identical writes need keys of their own; the attempts
      // of one write share its key, and the server carries that write out once.
      if (signingKey?.() && isWrite(request) && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', crypto.randomUUID());
      }
    },
    async beforeSend(request) {
      const key = signingKey?.();
      if (key && isWrite(request)) {
        await sign(request, key);
      }
    },
  };
}

/** Sets X-Timestamp (now) and X-Signature on a write, as the server checks them. */
async function sign(request: Request, key: string): Promise<void> {
  const url = new URL(request.url);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const text = canonicalRequest({
    method: request.method,
    path: url.pathname + url.search,
    timestamp,
    contentType: request.headers.get('content-type') ?? '',
    contentEncoding: request.headers.get('content-encoding') ?? '',
    idempotencyKey: request.headers.get('idempotency-key') ?? '',
    bodyHash: await sha256(await request.clone().arrayBuffer()),
  });
  request.headers.set('x-timestamp', timestamp);
  request.headers.set('x-signature', await hmacSha256(key, text));
}

const encoder = new TextEncoder();
const hex = (buffer: ArrayBuffer) =>
  Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, '0')).join('');

async function sha256(data: ArrayBuffer): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', data));
}

async function hmacSha256(key: string, text: string): Promise<string> {
  const secret = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return hex(await crypto.subtle.sign('HMAC', secret, encoder.encode(text)));
}
