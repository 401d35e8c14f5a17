import type { IncomingMessage } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { errorBody } from '../catalog/envelopes.js';
import type { Catalog, CatalogEntry } from '../catalog/types.d.ts';
import { ApiError } from './api-error.ts';
import { type PlatformCodes, toApiError } from './errors.ts';
import type { AnyHandler, Handlers } from './handlers.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Logger } from './logger.ts';
import { requestLog } from './request-log.ts';
import { pathValidator, readDocument } from './validator.ts';

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
  codes: PlatformCodes<Name>;
  /** Runs after authentication, before the handler: rate limits, quotas. */
  admit?: (request: Request, caller: Auth | null) => void;
  validateResponses: boolean;
  lifecycle: Lifecycle;
  logger: Logger;
  /** Largest request body, as body-parser reads it (`1mb`). */
  bodyLimit?: string;
}

interface DocumentOperation {
  operationId: string;
  security?: Record<string, string[]>[];
  requestBody?: { content?: Record<string, unknown> };
}

type RequestWithRawBody = IncomingMessage & { rawBody?: Buffer };

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * One service as an Express app mounted at its document's base path (`/task-market`):
 * request id and logs → draining check → body parsers → express-openapi-validator → the handler of
 * each documented operation → one error handler that writes the service's envelope.
 */
export function createServiceApp<Name extends string, Auth, Operations>(
  options: ServiceOptions<Name, Auth, Operations>,
): Express {
  const { catalog, codes, lifecycle } = options;
  const document = readDocument(options.document);
  const basePath = document.servers[0]?.url ?? '';
  const entries = new Map<string, CatalogEntry>(catalog.errors.map((entry) => [entry.name, entry]));
  const keepRawBody = (request: RequestWithRawBody, _response: unknown, buffer: Buffer) => {
    request.rawBody = buffer;
  };

  const limit = options.bodyLimit ?? '1mb';
  const parsers = {
    json: express.json({ limit, verify: keepRawBody }),
    text: express.text({ type: 'text/*', limit, verify: keepRawBody }),
  };
  /** The parsers of the content types an operation accepts; none for one without a body. */
  const bodyParsers = (operation: DocumentOperation) => {
    const types = Object.keys(operation.requestBody?.content ?? {});
    return [
      ...(types.some((type) => type.includes('json')) ? [parsers.json] : []),
      ...(types.some((type) => type.startsWith('text/')) ? [parsers.text] : []),
    ];
  };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(basePath, requestLog(options.logger), (_request, _response, next) => {
    next(lifecycle.draining ? new ApiError(codes.unavailable) : undefined);
  });
  const paths = document.paths as Record<string, Record<string, DocumentOperation>>;
  for (const [path, item] of Object.entries(paths)) {
    const route = app.route(basePath + path.replace(/\{(\w+)\}/g, ':$1'));
    const validator = pathValidator(options.document, path, options.validateResponses);
    for (const method of methods) {
      const operation = item[method];
      if (!operation) {
        continue;
      }
      // The route table comes from the document at run time; the handlers' types from it too.
      const handler = (options.handlers as unknown as Record<string, AnyHandler<Auth>>)[
        operation.operationId
      ];
      if (!handler) {
        throw new Error(`${catalog.service}: no handler for operation ${operation.operationId}`);
      }
      const requirements = (operation.security ?? document.security ?? []).map((requirement) =>
        Object.keys(requirement).map((name) => {
          const scheme = options.security[name];
          if (!scheme) {
            throw new Error(`${catalog.service}: no handler for security scheme ${name}`);
          }
          return scheme;
        }),
      );
      route[method](...bodyParsers(operation), ...validator, async (request, response) => {
        const caller = await authenticate(request, requirements);
        options.admit?.(request, caller);
        const requestId: string = response.locals.requestId;
        const reply = await handler({
          params: request.params as never,
          query: request.query as never,
          body: request.body,
          auth: caller,
          requestId,
        });
        response.status(reply.status).set(reply.headers ?? {});
        if (reply.body === undefined) {
          response.end();
        } else if (reply.contentType && !reply.contentType.includes('json')) {
          response.type(reply.contentType).send(reply.body);
        } else {
          response.json(reply.body);
        }
      });
    }
  }
  app.use(basePath, (request) => {
    throw new ApiError(codes.notFound, { method: request.method, path: request.originalUrl });
  });
  app.use(basePath, (error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const path = request.originalUrl.split('?')[0] ?? '';
    const hasBody =
      Number(request.get('content-length') ?? 0) > 0 ||
      request.get('transfer-encoding') !== undefined;
    const apiError = toApiError(error, codes, { method: request.method, path, hasBody });
    const entry = entries.get(apiError.code) ?? (entries.get(codes.internal) as CatalogEntry);
    const requestId: string = response.locals.requestId;
    if (entry.status >= 500) {
      options.logger.error({ err: error, code: entry.name, req_id: requestId }, 'request failed');
    }
    const retryAfter = apiError.details?.retry_after;
    if (typeof retryAfter === 'number') {
      response.set('Retry-After', String(retryAfter));
    }
    if (lifecycle.draining) {
      response.set('Connection', 'close');
    }
    const body = errorBody(catalog, entry, {
      details: apiError.details,
      requestId,
      instance: path,
    });
    response.status(entry.status).type(catalog.wire.contentType).send(JSON.stringify(body));
  });

  return app;
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
