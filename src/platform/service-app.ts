import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { Catalog } from '../catalog/types.d.ts';
import { isApiError } from './api-error.ts';
import { errorHandler, type FailureAnswers, failureAnswerer } from './error-handler.ts';
import { writeEventStream } from './event-stream.ts';
import { classifyFailure, PlatformError } from './failures.ts';
import type { AnyHandler, AnyReply, Handlers } from './handlers.ts';
import { keepRawBody } from './http.ts';
import type { Lifecycle } from './lifecycle.ts';
import { refusedRequests } from './listen.ts';
import type { Logger } from './logger.ts';
import { requestLog } from './request-log.ts';
import { receivedFiles, type UploadFacts, type UploadRule, uploadParser } from './uploads.ts';
import { type OpenApiDocument, pathValidator, readDocument } from './validator.ts';

/**
 * Checks one security scheme of an operation. It gets the caller found by the schemes before it
 * (`null` for the first) and returns the caller, or throws the service's ApiError.
 */
export type SecurityScheme<Auth> = (request: Request, caller: Auth | null) => Promise<Auth>;

export interface ServiceOptions<Name extends string, Auth, Operations> {
  catalog: Catalog;
  /** generated/<service>/openapi.yaml: the routes, the validator's rules and each security. */
  document: string;
  /** One handler per operationId of the service's generated `operations` type. */
  handlers: Handlers<Operations, Auth>;
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
  /** Runs after authentication, before the handler: rate limits, quotas. */
  admit?: (request: Request, caller: Auth | null) => void;
  validateResponses: boolean;
  lifecycle: Lifecycle;
  logger: Logger;
  /** Largest request body, as body-parser reads it (`1mb`). */
  bodyLimit?: string;
}

/** One operation of the document, as the router needs it. */
interface Route {
  path: string;
  method: (typeof methods)[number];
  operationId: string;
  security?: Record<string, string[]>[];
  contentTypes: string[];
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
  app.use(basePath, requestLog(options.logger), (_request, _response, next) => {
    next(lifecycle.draining ? new PlatformError({ role: 'draining' }) : undefined);
  });
  for (const route of routes(document)) {
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

/** The steps of one operation, from its body parsers to its handler. */
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
  const requirements = securityOf(route, document, options.security, service);
  const run: RequestHandler = async (request, response) => {
    const caller = await authenticate(request, requirements);
    options.admit?.(request, caller);
    const gone = new AbortController();
    response.once('close', () => gone.abort());
    const reply = await handler({
      params: request.params as never,
      query: request.query as never,
      body: request.body,
      headers: request.headers,
      files: receivedFiles(request),
      auth: caller,
      path: request.originalUrl.split('?')[0] ?? '',
      signal: gone.signal,
      requestId: response.locals.requestId,
    });
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
  const limit = options.bodyLimit ?? '1mb';
  const parsers: RequestHandler[] = [];
  if (route.contentTypes.some((type) => type.includes('json'))) {
    parsers.push(express.json({ limit, verify: keepRawBody }));
  }
  if (route.contentTypes.some((type) => type.startsWith('text/'))) {
    parsers.push(express.text({ type: 'text/*', limit, verify: keepRawBody }));
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

/** The operations of a document, in its order. */
function routes(document: OpenApiDocument): Route[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method] as
        | {
            operationId: string;
            security?: Record<string, string[]>[];
            requestBody?: { content?: Record<string, unknown> };
          }
        | undefined;
      return operation
        ? [
            {
              path,
              method,
              operationId: operation.operationId,
              security: operation.security,
              contentTypes: Object.keys(operation.requestBody?.content ?? {}),
            },
          ]
        : [];
    }),
  );
}

/** The schemes of each requirement of an operation's `security`, resolved once at start-up. */
function securityOf<Auth>(
  route: Route,
  document: OpenApiDocument,
  schemes: Record<string, SecurityScheme<Auth>>,
  service: string,
): SecurityScheme<Auth>[][] {
  return (route.security ?? document.security ?? []).map((requirement) =>
    Object.keys(requirement).map((name) => {
      const scheme = schemes[name];
      if (!scheme) {
        throw new Error(`${service}: no handler for security scheme ${name}`);
      }
      return scheme;
    }),
  );
}

/**
 * Checks an operation's `security`, given as the schemes of each requirement: any one
 * requirement passes when all its schemes pass, in the order written. When none passes, the
 * first requirement's failure is the answer.
 */
async function authenticate<Auth>(
  request: Request,
  requirements: SecurityScheme<Auth>[][],
): Promise<Auth | null> {
  let firstFailure: unknown;
  for (const schemes of requirements) {
    try {
      let caller: Auth | null = null;
      for (const scheme of schemes) {
        caller = await scheme(request, caller);
      }
      return caller;
    } catch (error) {
      firstFailure ??= error;
    }
  }
  if (firstFailure !== undefined) {
    throw firstFailure;
  }
  return null;
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
