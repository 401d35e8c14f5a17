import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createLogger } from '@stoplight/prism-core';
import {
  createInstance,
  getHttpOperationsFromSpec,
  type IHttpConfig,
  type IHttpRequest,
  ProblemJsonError,
} from '@stoplight/prism-http';
import type { IHttpOperation } from '@stoplight/types';
import express from 'express';
import { isLeft } from 'fp-ts/Either';
import type { BuiltService } from '../src/build/services.ts';
import { errorBody, identifyError } from '../src/catalog/envelopes.js';
import { loadCatalog } from '../src/catalog/load.js';
import { roleBody, roleEntry } from '../src/catalog/platform.js';
import type { Catalog, Details, DetailValue } from '../src/catalog/types.d.ts';
import { docsDir as defaultDocsDir } from '../src/docs/links.js';
import { docsRouter } from '../src/docs/serve.ts';
import { findOperation, indexExamples, type OperationExamples } from './examples.ts';
import { parsePrefer } from './prefer.ts';

interface Mocked {
  catalog: Catalog;
  /** How the service answers a path or method it does not have (`platform.unknownPath`). */
  unknownPath: UnknownPathAnswer;
  operations: IHttpOperation[];
  examples: OperationExamples[];
}

/**
 * Prism as `prism mock` runs it (examples, validation of requests, security checks) but for
 * validating its own answers: the build and the contract tests already check every example.
 */
const config: IHttpConfig = {
  mock: { dynamic: false },
  checkSecurity: true,
  validateRequest: true,
  validateResponse: false,
  errors: false,
  isProxy: false,
  upstreamProxy: undefined,
};

/**
 * Prism for every generated document behind one port, each under /<service> like the server.
 * On top of Prism: `Prefer: example=<CODE>` alone answers that example with the status it is
 * documented under (plain Prism also needs `code=`), and an example the operation does not
 * document is a 400 problem+json that lists the ones it does. The docs built into `docsDir` and
 * the documents are served as on the server, so relative links (divination's `type`) work.
 */
export async function createMockServer(
  services: BuiltService[],
  logLevel = 'silent',
  docsDir = defaultDocsDir,
): Promise<Server> {
  const logger = createLogger('MOCK', { level: logLevel });
  const prism = createInstance(config, { logger });
  const mocked = new Map<string, Mocked>();
  for (const { service, document, catalog } of services) {
    const operations = await getHttpOperationsFromSpec(document);
    const loaded = loadCatalog(catalog);
    mocked.set(service, {
      catalog: loaded,
      unknownPath: unknownPathAnswer(loaded),
      operations,
      examples: indexExamples(operations),
    });
  }
  const docs = express()
    .use(docsRouter(docsDir, services))
    .use((request, response) => {
      const detail = `No docs page or document at ${request.path}; the docs start at /docs.`;
      problem(response, 404, 'Unknown docs page', detail);
    });

  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'mock failed');
      if (response.headersSent) {
        response.end();
      } else {
        problem(response, 500, 'Mock failure', String(error));
      }
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    cors(request, response);
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
      });
      response.end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://mock');
    const [, service = '', ...rest] = url.pathname.split('/');
    if (service === 'docs' || service === 'openapi') {
      docs(request, response);
      return;
    }
    const target = mocked.get(service);
    if (!target) {
      problem(response, 404, 'Unknown service', `No mocked service at /${service}.`, {
        services: [...mocked.keys()].map((name) => `/${name}`),
      });
      return;
    }
    const path = `/${rest.join('/')}`;
    const method = (request.method ?? 'GET').toLowerCase();
    const preferences = parsePrefer(request.headers.prefer as string | undefined);
    const example = preferences.get('example');
    const operation = findOperation(target.examples, method, path);
    if (!operation) {
      // The service answers paths it does not document as its catalog says, so does its mock.
      const { status, body } = target.unknownPath(method.toUpperCase(), url.pathname);
      response.writeHead(status, { 'content-type': target.catalog.wire.contentType });
      response.end(JSON.stringify(body));
      return;
    }
    // Prism takes its choices from the config, not the header: an example alone picks its status.
    let code = preferences.get('code');
    if (example !== undefined && code === undefined) {
      const status = operation.statusOf.get(example);
      if (status === undefined) {
        problem(
          response,
          400,
          'Unknown example',
          `${method.toUpperCase()} ${operation.path} documents no example named ${example}.`,
          { examples: Object.fromEntries(operation.statusOf) },
        );
        return;
      }
      code = String(status);
    }

    const input: IHttpRequest = {
      method: method as IHttpRequest['method'],
      url: { path, query: query(url.searchParams) },
      headers: request.headers as Record<string, string>,
      body: await readBody(request),
    };
    const requestConfig: IHttpConfig = {
      ...config,
      mock: {
        ...config.mock,
        ...(code !== undefined && { code: Number(code) }),
        ...(example !== undefined && { exampleKey: example }),
        ...(preferences.has('dynamic') && { dynamic: preferences.get('dynamic') === 'true' }),
      },
    };
    // Prism tries every operation's path on every request: it gets only the one it is.
    const candidates = [operation.operation];
    const result = await prism.request(input, candidates, requestConfig)();
    if (isLeft(result)) {
      const error = result.left as ProblemJsonError;
      response.setHeader('content-type', 'application/problem+json');
      response.writeHead(error.status ?? 500);
      response.end(JSON.stringify(ProblemJsonError.toProblemJson(error)));
      return;
    }
    const { output, validations } = result.right;
    if (validations.input.length > 0) {
      response.setHeader('sl-violations', JSON.stringify(validations.input).slice(0, 8000));
    }
    for (const [name, value] of Object.entries(output.headers ?? {})) {
      response.setHeader(name, value);
    }
    // Prism makes header values up from their schema; the server sends the body's retry_after.
    const retryAfter = identifyError(target.catalog, output.body)?.details?.retry_after;
    if (typeof retryAfter === 'number') {
      response.setHeader('retry-after', String(retryAfter));
    }
    response.writeHead(output.statusCode);
    response.end(serialize(output.body, String(response.getHeader('content-type') ?? '')));
  }
}

/** The answer to `METHOD /service/path` where the document has no such operation. */
type UnknownPathAnswer = (method: string, path: string) => { status: number; body: unknown };

/**
 * The catalog's answer to an unknown path: its body as is when it is a body that is no code
 * (divination's 404 problem); else its code, with the details of a request to that path.
 */
function unknownPathAnswer(catalog: Catalog): UnknownPathAnswer {
  const value = catalog.platform.unknownPath;
  const body = roleBody(value);
  if (body) {
    return () => ({ status: body.status, body: body.example });
  }
  const entry = roleEntry(catalog, value);
  if (!entry) {
    throw new Error(`${catalog.service}: platform.unknownPath names no code of the catalog`);
  }
  // A code made for unknown paths documents the details it carries; one that stands in for the
  // role (`{code, reason}`) was made for something else, and its example's are another request's.
  const standIn = typeof value === 'object';
  return (method, path) => ({
    status: entry.status,
    body: errorBody(catalog, entry, {
      details: standIn
        ? pathShaped(entry.details ?? {}, method, path)
        : withRequest(entry.details ?? {}, method, path),
      requestId: `req_${randomUUID()}`,
      instance: path,
    }),
  });
}

/** A code's documented details with `method` and `path` those of the request, where it has them. */
function withRequest(details: Details, method: string, path: string): Details {
  return {
    ...details,
    ...('method' in details && { method }),
    ...('path' in details && { path }),
  };
}

/**
 * The details of a stand-in code, shaped as the code documents them but about the path: `method`
 * and `path` the request's, a `field` `path`, a `message` (`reason`, `msg`, `detail`) that says
 * the path is no endpoint, a list of objects one such item; any other key is left out, since
 * only another request's example could fill it (`fields: [{field: "name", …}]` becomes
 * `fields: [{field: "path", message: "GET /bot-agent/botz is not an endpoint"}]`).
 */
function pathShaped(details: Details, method: string, path: string): Details {
  const message = `${method} ${path} is not an endpoint`;
  const filled: Record<string, DetailValue> = {
    method,
    path,
    field: 'path',
    message,
    reason: message,
    msg: message,
    detail: message,
  };
  const shaped: Details = {};
  for (const [key, value] of Object.entries(details)) {
    if (Array.isArray(value)) {
      const [first] = value as readonly DetailValue[];
      const item = isDetails(first) ? pathShaped(first, method, path) : {};
      if (Object.keys(item).length > 0) {
        shaped[key] = [item];
      }
    } else if (isDetails(value)) {
      const inner = pathShaped(value, method, path);
      if (Object.keys(inner).length > 0) {
        shaped[key] = inner;
      }
    } else if (Object.hasOwn(filled, key)) {
      shaped[key] = filled[key] as DetailValue;
    }
  }
  return shaped;
}

function isDetails(value: DetailValue | undefined): value is Details {
  return typeof value === 'object' && !Array.isArray(value);
}

function cors(request: IncomingMessage, response: ServerResponse) {
  response.setHeader('access-control-allow-origin', request.headers.origin ?? '*');
  response.setHeader(
    'access-control-allow-headers',
    request.headers['access-control-request-headers'] ?? '*',
  );
  response.setHeader('access-control-allow-credentials', 'true');
  response.setHeader('access-control-expose-headers', '*');
}

function problem(
  response: ServerResponse,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  response.writeHead(status, { 'content-type': 'application/problem+json' });
  response.end(JSON.stringify({ type: 'about:blank', title, status, detail, ...extra }));
}

function query(searchParams: URLSearchParams): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  for (const key of new Set(searchParams.keys())) {
    const all = searchParams.getAll(key);
    values[key] = all.length === 1 ? (all[0] as string) : all;
  }
  return values;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  if (chunks.length === 0) {
    return undefined;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!/json/.test(request.headers['content-type'] ?? '')) {
    return text;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function serialize(body: unknown, contentType: string): string {
  if (typeof body !== 'string') {
    return JSON.stringify(body ?? '');
  }
  // Prism's YAML reader drops the blank line that ends the last event of a stream example, and
  // an event without it is never dispatched.
  return contentType.includes('text/event-stream') && !body.endsWith('\n\n') ? `${body}\n` : body;
}
