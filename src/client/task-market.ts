import type { Middleware } from 'openapi-fetch';
import { catalog, type ErrorName } from '../../generated/task-market/errors.ts';
import type { components, paths } from '../../generated/task-market/schema.d.ts';
import { canonicalRequest } from '../protocol/task-market-signature.ts';
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

/** The body of every task-market error. */
export type TaskMarketError = components['schemas']['Error'];

/** The body of one task-market error code. */
export type TaskMarketErrorOf<Name extends ErrorName> = TaskMarketError & {
  code: Entry<Name>['code'];
};

/** A typed client of the task-market API, on the server or the mock. */
export function createTaskMarketClient(options: ServiceClientOptions) {
  return createServiceClient<paths>(catalog, options);
}

/** Whether `error` is the task-market error `name`; narrows it to that code's body. */
export function isApiError<Name extends ErrorName>(
  error: unknown,
  name: Name,
): error is TaskMarketErrorOf<Name> {
  return errorEntry(catalog, error)?.name === name;
}

/** What the catalog says of a code: status, wire code, messages, advice, whether to retry. */
export const describeError = describeErrorOf(catalog.errors);

/**
 * Signs every write (POST, PUT) with the signing key the sign-in returned, as the
 * requestSignature scheme requires, giving it an Idempotency-Key unless it has one; until there
 * is a key, requests go unsigned.
 */
export function signRequests(signingKey: () => string | undefined): Middleware {
  return {
    async onRequest({ request }) {
      const key = signingKey();
      if (!key || (request.method !== 'POST' && request.method !== 'PUT')) {
        return undefined;
      }
      // A signature is good once, so two identical writes need keys of their own; a retry of
      // this request keeps its key, and the server answers it as it answered the first.
      if (!request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', crypto.randomUUID());
      }
      const url = new URL(request.url);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const body = await request.clone().arrayBuffer();
      const text = canonicalRequest({
        method: request.method,
        path: url.pathname + url.search,
        timestamp,
        contentType: request.headers.get('content-type') ?? '',
        contentEncoding: request.headers.get('content-encoding') ?? '',
        idempotencyKey: request.headers.get('idempotency-key') ?? '',
        bodyHash: await sha256(body),
      });
      request.headers.set('x-timestamp', timestamp);
      request.headers.set('x-signature', await hmacSha256(key, text));
      return request;
    },
  };
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
