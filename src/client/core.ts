import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import { identifyError } from '../catalog/envelopes.js';
import type { Catalog, CatalogEntry } from '../catalog/types.d.ts';

/** How retryable answers are retried: exponential back-off, or longer when the server says so. */
export interface RetryOptions {
  /** Attempts after the first (3). */
  retries?: number;
  /** The first wait, doubled at each retry (1000 ms: 1 s, 2 s, 4 s). */
  baseDelayMs?: number;
  /** The longest wait, Retry-After included (60000 ms). */
  maxDelayMs?: number;
  /** How to wait; tests pass one that does not. */
  sleep?: (milliseconds: number) => Promise<void>;
}

export interface ServiceClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The server (`http://localhost:8080`) or the mock (`http://localhost:4010`): only this differs. */
  origin: string;
  /** Retries of retryable codes; `false` for none. */
  retry?: RetryOptions | false;
}

/** An openapi-fetch client of one service, at `<origin>/<service>`, retrying what may succeed. */
export function createServiceClient<Paths extends {}>(
  catalog: Catalog,
  { origin, retry, ...options }: ServiceClientOptions,
): Client<Paths> {
  const client = createClient<Paths>({
    ...options,
    baseUrl: `${origin.replace(/\/$/, '')}/${catalog.service}`,
  });
  if (retry !== false) {
    client.use(retryMiddleware(catalog, retry));
  }
  return client;
}

/** The entry of one code of a generated catalog's `errors`. */
export type EntryOf<Errors extends readonly { name: string }[], Name> = Extract<
  Errors[number],
  { name: Name }
>;

/** A service's `describeError`: what its catalog says of a code, typed as that code's entry. */
export function describeErrorOf<const Errors extends readonly { name: string }[]>(errors: Errors) {
  return <Name extends Errors[number]['name']>(name: Name) =>
    errors.find((entry) => entry.name === name) as EntryOf<Errors, Name>;
}

/** The catalog entry of the error a body carries; undefined for anything else. */
export function errorEntry(catalog: Catalog, body: unknown): CatalogEntry | undefined {
  return identifyError(catalog, body)?.entry;
}

/**
 * Sends a request again while its answer carries a code the catalog marks retryable, waiting
 * the exponential back-off or, when longer, the Retry-After header or `retry_after` detail.
 */
function retryMiddleware(catalog: Catalog, options: RetryOptions = {}): Middleware {
  const { retries = 3, baseDelayMs = 1000, maxDelayMs = 60_000, sleep = wait } = options;
  const sent = new Map<string, Request>();
  return {
    onRequest({ request, id }) {
      sent.set(id, request.clone());
    },
    async onResponse({ response, id, options: client }) {
      const request = sent.get(id);
      sent.delete(id);
      let answer = response;
      for (let attempt = 0; request && attempt < retries; attempt += 1) {
        const delay = await retryDelay(catalog, answer, baseDelayMs * 2 ** attempt);
        if (delay === undefined) {
          break;
        }
        await sleep(Math.min(delay, maxDelayMs));
        answer = await client.fetch(request.clone());
      }
      return answer;
    },
    onError({ id }) {
      sent.delete(id);
    },
  };
}

/** How long to wait before retrying an answer, or undefined when it is not worth retrying. */
async function retryDelay(catalog: Catalog, response: Response, backoff: number) {
  if (!(response.headers.get('content-type') ?? '').includes('json')) {
    return undefined;
  }
  const body = await response
    .clone()
    .json()
    .catch(() => undefined);
  const found = identifyError(catalog, body);
  if (!found?.entry.retryable) {
    return undefined;
  }
  const seconds = [Number(response.headers.get('retry-after')), Number(found.details?.retry_after)];
  const told = Math.max(0, ...seconds.filter(Number.isFinite)) * 1000;
  return Math.max(backoff, told);
}

function wait(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
