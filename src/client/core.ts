import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import { identifyError } from '../catalog/envelopes.js';
import type { Catalog, CatalogEntry } from '../catalog/types.d.ts';

/**
 * How a client retries an answer whose code the catalog marks retryable: exponential back-off,
 * or longer when the server says so. Each service's defaults follow its seed (its
 * `create…Client` says which).
 */
export interface RetryOptions {
  /** Attempts after the first. */
  retries?: number;
  /** The first wait, doubled at each retry. */
  baseDelayMs?: number;
  /** The longest wait, Retry-After and `retry_after` included. */
  maxDelayMs?: number;
  /**
   * Retry POST and PATCH requests that carry no Idempotency-Key too (false). Only for
   * operations that are harmless twice, such as a query sent as a POST: the server may have
   * carried out an attempt whose answer was an error, and would carry it out again.
   */
  retryNonIdempotent?: boolean;
  /** How to wait; tests pass one that does not. */
  sleep?: (milliseconds: number) => Promise<void>;
}

/** The retry settings a service's seed advises, which a caller's RetryOptions override. */
export type RetryDefaults = Required<Pick<RetryOptions, 'retries' | 'baseDelayMs' | 'maxDelayMs'>>;

/** What every service client takes. */
export interface ServiceClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The server (`http://localhost:8080`) or the mock (`http://localhost:4010`): only this differs. */
  origin: string;
  /** Retries of retryable codes; `false` for none. */
  retry?: RetryOptions | false;
}

/**
 * What a service adds to the transport, which runs after every middleware: its retry defaults,
 * and what it does to each call and to each attempt of it.
 */
export interface Transport {
  /** The retry settings its seed advises. */
  retry: RetryDefaults;
  /** Once a call, before its first attempt: what every attempt shares (an Idempotency-Key). */
  beforeAttempts?: (request: Request) => void;
  /** On each attempt, just before it is sent: what must be new each time (a signature). */
  beforeSend?: (request: Request) => Promise<void>;
}

/** A fetch as openapi-fetch calls it: the request, and its `requestInitExt` when set. */
type Fetch = (request: Request, init?: Record<string, unknown>) => Promise<Response>;

/**
 * An openapi-fetch client of one service, at `<origin>/<service>`, retrying what may succeed.
 * The retries happen in the `fetch` openapi-fetch calls, so each attempt carries what every
 * middleware set, and the service's transport steps run again on each attempt.
 */
export function createServiceClient<Paths extends {}, Types extends ErrorTypes>(
  catalog: Catalog,
  transport: Transport,
  { origin, retry, fetch, ...options }: ServiceClientOptions,
): Client<DocumentedPaths<Paths, Types>> {
  const send: Fetch = fetch ?? ((request, init) => globalThis.fetch(request, init));
  return createClient<DocumentedPaths<Paths, Types>>({
    ...options,
    baseUrl: `${origin.replace(/\/$/, '')}/${catalog.service}`,
    fetch: retryingFetch(catalog, transport, retryPolicy(transport.retry, retry), send),
  });
}

type RetryPolicy = Required<RetryOptions>;

/** The service's defaults with what the caller set; `false` as no retries at all. */
function retryPolicy(defaults: RetryDefaults, options: RetryOptions | false = {}): RetryPolicy {
  const given = options === false ? { retries: 0 } : options;
  return {
    retries: given.retries ?? defaults.retries,
    baseDelayMs: given.baseDelayMs ?? defaults.baseDelayMs,
    maxDelayMs: given.maxDelayMs ?? defaults.maxDelayMs,
    retryNonIdempotent: given.retryNonIdempotent ?? false,
    sleep: given.sleep ?? wait,
  };
}

/**
 * The fetch given to openapi-fetch: sends a call, then sends it again while its answer carries
 * a retryable code and the call may be repeated, each attempt its own copy of the request.
 */
function retryingFetch(
  catalog: Catalog,
  transport: Transport,
  policy: RetryPolicy,
  send: Fetch,
): Fetch {
  return async (request, init) => {
    transport.beforeAttempts?.(request);
    const retries = mayRepeat(request, policy.retryNonIdempotent) ? policy.retries : 0;
    // A body can be read once: a call that may be sent again sends copies, keeping the original.
    const attempt = async () => {
      const sent = retries > 0 ? request.clone() : request;
      await transport.beforeSend?.(sent);
      return send(sent, init);
    };
    let answer = await attempt();
    for (let retry = 0; retry < retries; retry += 1) {
      const delay = await retryDelay(catalog, answer, policy.baseDelayMs * 2 ** retry);
      if (delay === undefined) {
        break;
      }
      await answer.body?.cancel();
      await policy.sleep(Math.min(delay, policy.maxDelayMs));
      answer = await attempt();
    }
    return answer;
  };
}

/** Methods a server must answer the same when a request is repeated (RFC 9110, 9.2.2). */
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Whether sending a request again can do no harm and get another answer: an idempotent method
 * or an Idempotency-Key (or the caller's opt-in), and no `Prefer` asking the mock for an
 * example or a status, whose answer would only repeat.
 */
function mayRepeat(request: Request, retryNonIdempotent: boolean): boolean {
  if (/(^|[\s;,])(example|code)=/i.test(request.headers.get('prefer') ?? '')) {
    return false;
  }
  return (
    idempotentMethods.has(request.method) ||
    request.headers.has('idempotency-key') ||
    retryNonIdempotent
  );
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
 * What a service's generated types say of its errors, which its client narrows its answers
 * with: `entries` its catalog's entries (name and status), `bodies` each code's body as the
 * service sends it (only codes that travel as a body), `envelope` the document's schema of those
 * bodies, `operations` the codes each operation documents (`OperationErrors`).
 */
export interface ErrorTypes {
  entries: { name: string; status: number };
  bodies: object;
  envelope: unknown;
  operations: object;
}

/**
 * `Paths` with the bodies of the service's envelope in each operation's answers narrowed to
 * the codes it documents under that status, each with its details typed: what a typed client's
 * `error` (or, for codes answered in a 200, `data`) can be.
 */
export type DocumentedPaths<Paths, Types extends ErrorTypes> = {
  [Path in keyof Paths]: {
    [Method in keyof Paths[Path]]: Paths[Path][Method] extends { responses: object }
      ? DocumentedOperation<Paths[Path][Method], Types, Documented<Types, Path, Method>>
      : Paths[Path][Method];
  };
};

/** The names an operation lists in `x-errors`. */
type Documented<Types extends ErrorTypes, Path, Method> = Path extends keyof Types['operations']
  ? Method extends keyof Types['operations'][Path]
    ? Types['operations'][Path][Method]
    : never
  : never;

type DocumentedOperation<Operation, Types extends ErrorTypes, Names> = {
  [Key in keyof Operation]: Key extends 'responses'
    ? DocumentedResponses<Operation[Key], Types, Names>
    : Operation[Key];
};

type DocumentedResponses<Responses, Types extends ErrorTypes, Names> = {
  [Status in keyof Responses]: {
    [Key in keyof Responses[Status]]: Key extends 'content'
      ? {
          [Media in keyof Responses[Status][Key]]: DocumentedBody<
            Responses[Status][Key][Media],
            Types,
            NamesAt<Types, Names, Status>
          >;
        }
      : Responses[Status][Key];
  };
};

/** A body the envelope is one of, its envelope replaced by the bodies of `Names`. */
type DocumentedBody<Body, Types extends ErrorTypes, Names> = Types['envelope'] extends Body
  ? Exclude<Body, Types['envelope']> | Types['bodies'][Extract<Names, keyof Types['bodies']>]
  : Body;

/** The names among `Names` whose catalog status is `Status`. */
type NamesAt<Types extends ErrorTypes, Names, Status> = Names extends unknown
  ? Extract<Types['entries'], { name: Names }>['status'] extends Status
    ? Names
    : never
  : never;

/**
 * The names `isApiError` takes for a value: those whose body the value's type can be, so only
 * the codes the operation that answered documents; every code for an `unknown`.
 */
export type NamesIn<Value, Bodies> = {
  [Name in keyof Bodies]: Bodies[Name] extends Value ? Name : never;
}[keyof Bodies];

/** `Value` narrowed to one code's `Body`: what `isApiError` proves. */
export type Narrowed<Value, Body> = Value extends unknown
  ? Body extends Value
    ? Value & Body
    : never
  : never;

/** The `details` member of an envelope that leaves it out when there are none. */
export type DetailsMember<Details> =
  Record<never, never> extends Details ? { details?: Details } : { details: Details };

/** Details sent as members of the body itself (RFC 9457 extension members). */
export type DetailMembers<Details> = string extends keyof Details ? unknown : Details;
