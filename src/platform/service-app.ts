import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Catalog } from '../catalog/types.d.ts';
import { isApiError } from './api-error.ts';
import { errorHandler, type FailureAnswers, failureAnswerer } from './error-handler.ts';
import { writeEventStream } from './event-stream.ts';
import { classifyFailure, PlatformError } from './failures.ts';
import { type ClientLimit, clientLimit, securityHeaders } from './guards.ts';
import type { AnyHandler, AnyReply, Handlers } from './handlers.ts';
import { keepRawBody } from './http.ts';
import { type Idempotency, type KeyConflict, runOnce } from './idempotency.ts';
import type { Lifecycle } from './lifecycle.ts';
import { refusedRequests } from './listen.ts';
import type { Logger } from './logger.ts';
import { requestLog } from './request-log.ts';
import {
  authenticateEarly,
  authenticateLate,
  requirementsOf,
  type SecurityScheme,
} from './security.ts';
import { receivedFiles, type UploadFacts, type UploadRule, uploadParser } from './uploads.ts';
import { type OpenApiDocument, pathValidator, readDocument } from './validator.ts';

export type { SecurityScheme };

export interface ServiceOptions<Name extends string, Auth, Operations> {
  catalog: Catalog;
  /** generated/<service>/openapi.yaml: the routes, the validator's rules and each security. */
  document: string;
  /** One handler per operationId of the service's generated `operations` type. */
  handlers: Handlers<Operations, Auth>;
  /**
   * One check per scheme of the document. The schemes it marks `x-reads-body` (a signature) run
   * after the body is parsed and validated, the rest before.
   */
  security: Record<string, SecurityScheme<Auth>>;
  /** What the service answers, by its catalog's `platform` roles, for what the platform detects. */
  failures: FailureAnswers<Name>;
  /**
   * The limits of each operation that takes `multipart/form-data` (each such one needs its own),
   * and the service's error for a refused file, with its catalog's details.
   */
  uploads?: {
    rules: Partial<Record<keyof Operations, UploadRule<Name>>>;
    refuse(code: Name, facts: UploadFacts): Error;
  };
  /** Counted per client address before anything else is done. */
  clientLimit?: ClientLimit;
  /** Runs after authentication, before the handler: rate limits, quotas. */
  admit?: (request: Request, caller: Auth | null) => void | Promise<void>;
  /**
   * Writes whose document declares an `Idempotency-Key` header are done once per key: the store,
   * the key space of a caller, and the service's refusal of a key in use by another request.
   * `false` for a service whose answers depend on no state (the mock): a repeat is answered alike.
   */
  idempotency?:
    | {
        store: Idempotency;
        scope(caller: Auth | null): string;
        refuse(conflict: KeyConflict): Error;
      }
    | false;
  validateResponses: boolean;
  lifecycle: Lifecycle;
  logger: Logger;
  /** Largest request body in bytes (1 MiB), unless the operation says `x-max-body-bytes`. */
  bodyLimit?: number;
}

/** One operation of the document, as the router needs it. */
interface Route {
  path: string;
  method: (typeof methods)[number];
  operationId: string;
  security?: Record<string, string[]>[];
  contentTypes: string[];
  /** Its `x-max-body-bytes`, when it takes less (or more) than the service's limit. */
  maxBodyBytes?: number;
  /** Whether it declares an `Idempotency-Key` header: a write done once per key. */
  idempotent: boolean;
}

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * One service as an Express app mounted at its document's base path (`/task-market`):
 * request id and logs → draining check → per operation: body parsers → express-openapi-validator
 * → security → limits → the handler → one error handler that writes the service's envelope.
 */
export function createServiceApp<Name extends string, Auth, Operations>(
  options: ServiceOptions<Name, Auth, Operations>,
): Express {
  const { catalog, lifecycle } = options;
  const document = readDocument(options.document);
  const basePath = document.servers[0]?.url ?? '';

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // `/tasks/` is not `/tasks`: a trailing slash is a path the document does not have.
  app.set('strict routing', true);
  app.use(basePath, requestLog(options.logger), securityHeaders());
  if (options.clientLimit) {
    app.use(basePath, clientLimit(options.clientLimit));
  }
  app.use(basePath, (_request, _response, next) => {
    next(lifecycle.draining ? new PlatformError({ role: 'draining' }) : undefined);
  });
  // A path without parameters is matched before one with them (`/tasks/status`, then
  // `/tasks/{taskId}`), as OpenAPI matches them, whatever the document's order.
  for (const route of routes(document).sort(byConcreteness)) {
    const path = basePath + route.path.replace(/\{(\w+)\}/g, ':$1');
    app[route.method](path, operationSteps(route, document, options));
  }
  app.use(basePath, (request) => {
    const path = request.originalUrl.split('?')[0] ?? '';
    throw new PlatformError({ role: 'unknownPath', method: request.method, path });
  });
  const answer = failureAnswerer(catalog, options.failures);
  app.use(basePath, errorHandler(answer, { lifecycle, logger: options.logger }));
  refusedRequests(app).set(basePath, answer);
  return app;
}

/**
 * The steps of one operation: the security that needs no body, the body parsers, the validator,
 * the rest of the security, the limits, then the handler (once per Idempotency-Key).
 */
function operationSteps<Name extends string, Auth, Operations>(
  route: Route,
  document: OpenApiDocument,
  options: ServiceOptions<Name, Auth, Operations>,
): RequestHandler[] {
  const service = options.catalog.service;
  const handler = (options.handlers as unknown as Record<string, AnyHandler<Auth>>)[
    route.operationId
  ];
  if (!handler) {
    throw new Error(`${service}: no handler for operation ${route.operationId}`);
  }
  if (route.idempotent && options.idempotency === undefined) {
    throw new Error(
      `${service}: ${route.operationId} takes an Idempotency-Key, and no store is given`,
    );
  }
  const requirements = requirementsOf(
    route.security ?? document.security ?? [],
    options.security,
    bodySchemes(document),
    service,
  );
  const run: RequestHandler = async (request, response) => {
    const caller = await authenticateLate<Auth>(request, response);
    await options.admit?.(request, caller);
    let signal: AbortSignal | undefined;
    const answer = () =>
      handler({
        params: request.params as never,
        query: request.query as never,
        body: request.body,
        headers: request.headers,
        files: receivedFiles(request),
        auth: caller,
        path: request.originalUrl.split('?')[0] ?? '',
        // Made when a handler asks: most never wait on the client.
        get signal() {
          signal ??= closeSignal(response);
          return signal;
        },
        requestId: response.locals.requestId,
      });
    const key = request.get('idempotency-key');
    const { idempotency } = options;
    const reply =
      route.idempotent && key && idempotency
        ? await runOnce(idempotency, idempotency.scope(caller), key, request, answer)
        : await answer();
    await send(response, reply, options.lifecycle.signal).catch((error: unknown) => {
      if (!response.headersSent) {
        throw error;
      }
      // A stream whose producer failed after it opened: too late for an answer, only a log.
      const failure = classifyFailure(error, { method: request.method, path: '', hasBody: false });
      const role = isApiError(failure) ? failure.code : failure.role;
      options.logger.error(
        { err: error, role, req_id: response.locals.requestId },
        'stream failed',
      );
    });
  };
  return [
    authenticateEarly(requirements),
    ...bodyParsers(route, options),
    ...pathValidator(options.document, route.path, options.validateResponses),
    run,
  ];
}

/** The parsers of the content types an operation accepts; none for one without a body. */
function bodyParsers<Name extends string, Auth, Operations>(
  route: Route,
  options: ServiceOptions<Name, Auth, Operations>,
): RequestHandler[] {
  // Encoded bodies are refused (a media type): a signature covers the bytes as sent.
  const settings = {
    limit: route.maxBodyBytes ?? options.bodyLimit ?? 1024 * 1024,
    inflate: false,
    verify: keepRawBody,
  };
  const parsers: RequestHandler[] = [];
  if (route.contentTypes.some((type) => type.includes('json'))) {
    parsers.push(express.json(settings));
  }
  if (route.contentTypes.some((type) => type.startsWith('text/'))) {
    parsers.push(utf8Text, express.text({ ...settings, type: 'text/*' }));
  }
  if (route.contentTypes.includes('multipart/form-data')) {
    const rule = options.uploads?.rules[route.operationId as keyof Operations];
    if (!options.uploads || !rule) {
      throw new Error(
        `${options.catalog.service}: no upload limits for operation ${route.operationId}`,
      );
    }
    parsers.push(uploadParser(rule, options.uploads.refuse));
  }
  return parsers;
}

/**
 * Text bodies are UTF-8: another declared charset would store other characters than the bytes
 * sent, and than the ones a signature covers.
 */
const utf8Text: RequestHandler = (request, _response, next) => {
  const charset = /;\s*charset="?([^";]+)/i.exec(request.get('content-type') ?? '')?.[1];
  const utf8 = charset === undefined || /^utf-?8$/i.test(charset.trim());
  next(
    utf8
      ? undefined
      : new PlatformError({ role: 'mediaType', reason: `charset ${charset}: text is UTF-8` }),
  );
};

/** The schemes the document marks as reading the body. */
function bodySchemes(document: OpenApiDocument): string[] {
  const schemes = Object.entries(document.components?.securitySchemes ?? {});
  return schemes.filter(([, scheme]) => scheme['x-reads-body'] === true).map(([name]) => name);
}

/** Orders routes segment by segment, a literal segment before a parameter. */
function byConcreteness(a: Route, b: Route): number {
  const kinds = (route: Route) =>
    route.path.split('/').map((part) => (part.startsWith('{') ? 1 : 0));
  const [first, second] = [kinds(a), kinds(b)];
  for (let index = 0; index < Math.min(first.length, second.length); index += 1) {
    const difference = (first[index] ?? 0) - (second[index] ?? 0);
    if (difference !== 0) {
      return difference;
    }
  }
  return 0;
}

/** The operations of a document, in its order. */
function routes(document: OpenApiDocument): Route[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method] as DocumentOperation | undefined;
      if (!operation) {
        return [];
      }
      const parameters = [
        ...((item.parameters as DocumentParameter[]) ?? []),
        ...(operation.parameters ?? []),
      ].map((parameter) => resolveParameter(document, parameter));
      return [
        {
          path,
          method,
          operationId: operation.operationId,
          security: operation.security,
          contentTypes: Object.keys(operation.requestBody?.content ?? {}),
          maxBodyBytes: operation['x-max-body-bytes'],
          idempotent: parameters.some(
            (parameter) =>
              parameter.in === 'header' && /^idempotency-key$/i.test(parameter.name ?? ''),
          ),
        },
      ];
    }),
  );
}

/** The parts of a bundled operation the router reads. */
interface DocumentOperation {
  operationId: string;
  security?: Record<string, string[]>[];
  parameters?: DocumentParameter[];
  requestBody?: { content?: Record<string, unknown> };
  'x-max-body-bytes'?: number;
}

/** A parameter as bundled: itself, or a `$ref` to one under components. */
interface DocumentParameter {
  in?: string;
  name?: string;
  $ref?: string;
}

function resolveParameter(document: OpenApiDocument, parameter: DocumentParameter) {
  const name = parameter.$ref?.replace('#/components/parameters/', '');
  return name === undefined
    ? parameter
    : ((document.components?.parameters?.[name] ?? {}) as DocumentParameter);
}

/** A signal aborted when the response closes (the client went away, or it was sent). */
function closeSignal(response: Response): AbortSignal {
  const gone = new AbortController();
  if (response.closed) {
    gone.abort();
  } else {
    response.once('close', () => gone.abort());
  }
  return gone.signal;
}

/**
 * Writes a handler's answer: JSON, a server-sent-event stream (ended at shutdown, so its client
 * resumes elsewhere), bytes or text, or no body.
 */
async function send(response: Response, reply: AnyReply, shutdown: AbortSignal): Promise<void> {
  response.status(reply.status).set(reply.headers ?? {});
  if (reply.events) {
    await writeEventStream(response, reply.events, { signal: shutdown });
  } else if (reply.body === undefined) {
    response.end();
  } else if (reply.contentType && !reply.contentType.includes('json')) {
    response.type(reply.contentType).send(reply.body);
  } else {
    response.json(reply.body);
  }
}
