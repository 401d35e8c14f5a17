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
import type { BuiltService } from '../build/services.ts';
import { errorBody, identifyError } from '../catalog/envelopes.js';
import { loadCatalog } from '../catalog/load.js';
import { roleEntry } from '../catalog/platform.js';
import type { Catalog, CatalogEntry } from '../catalog/types.d.ts';
import { docsDir as defaultDocsDir } from '../docs/links.js';
import { docsRouter } from '../docs/serve.ts';
import { findOperation, indexExamples, type OperationExamples } from './examples.ts';
import { parsePrefer } from './prefer.ts';

interface Mocked {
  catalog: Catalog;
  /** The code of `platform.unknownPath`, when the catalog answers an unknown path with one. */
  unknownPath: CatalogEntry | undefined;
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
      unknownPath: roleEntry(loaded, loaded.platform.unknownPath),
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
    const { unknownPath } = target;
    if (!operation && unknownPath) {
      // The service answers paths it does not document with a catalog code, so does its mock.
      response.writeHead(unknownPath.status, { 'content-type': target.catalog.wire.contentType });
      response.end(
        JSON.stringify(
          errorBody(target.catalog, unknownPath, {
            details: unknownPathDetails(unknownPath, method.toUpperCase(), url.pathname),
            requestId: `req_${randomUUID()}`,
            instance: url.pathname,
          }),
        ),
      );
      return;
    }
    // Prism takes its choices from the config, not the header: an example alone picks its status.
    let code = preferences.get('code');
    if (example !== undefined && code === undefined) {
      const status = operation?.statusOf.get(example);
      if (operation && status === undefined) {
        problem(
          response,
          400,
          'Unknown example',
          `${method.toUpperCase()} ${operation.path} documents no example named ${example}.`,
          { examples: Object.fromEntries(operation.statusOf) },
        );
        return;
      }
      if (status !== undefined) {
        code = String(status);
      }
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
    // Prism tries every operation's path on every request; when the one is known, it gets only
    // that one. Unknown paths and methods still get all, for Prism's own 404 and 405.
    const candidates = operation ? [operation.operation] : target.operations;
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

/**
 * The details of an unknown path's answer: the code's documented ones, as every answer of the mock,
 * with `method` and `path` those of the request where the code documents them.
 */
function unknownPathDetails(entry: CatalogEntry, method: string, path: string) {
  const details = { ...entry.details };
  if ('method' in details) {
    details.method = method;
  }
  if ('path' in details) {
    details.path = path;
  }
  return details;
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
