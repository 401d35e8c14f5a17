import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import type { BuiltService } from '../src/build/services.ts';
import { loadCatalog } from '../src/catalog/load.js';
import { docsDir as defaultDocsDir } from '../src/docs/links.js';
import { docsRouter } from '../src/docs/serve.ts';
import { Lifecycle } from '../src/platform/lifecycle.ts';
import { answerUnparsable, shareRefusedRequests } from '../src/platform/listen.ts';
import { createLogger } from '../src/platform/logger.ts';
import { mockService } from './service.ts';

/**
 * The mock of every built document behind one port, each under /<service> like the server, on
 * the server's own request pipeline: a request is refused exactly as the server refuses it, in
 * the service's envelope, and a valid one gets the example `Prefer: example=<NAME>` names (its
 * status from the document), else the first success example. The docs built into `docsDir` and
 * the documents are served as on the server, so relative links (divination's `type`) work.
 */
export async function createMockServer(
  services: BuiltService[],
  logLevel = 'silent',
  docsDir = defaultDocsDir,
): Promise<Server> {
  const logger = createLogger(logLevel);
  const lifecycle = new Lifecycle();
  const apps = new Map(
    services.map(({ service, document, catalog }) => [
      service,
      mockService(document, loadCatalog(catalog), { lifecycle, logger }),
    ]),
  );
  const rest = otherPaths(services, docsDir);
  shareRefusedRequests(rest, [...apps.values()]);
  // Each request goes straight to the app of the service its first segment names: mounted in
  // one app, every request would pay for a mount.
  const server = createServer((request, response) => {
    allowBrowsers(request, response);
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
      });
      response.end();
      return;
    }
    const service = /^\/([^/?]*)/.exec(request.url ?? '')?.[1] ?? '';
    (apps.get(service) ?? rest)(request, response);
  });
  answerUnparsable(server, rest);
  return server;
}

/**
 * What is not a service: the docs and the bundled documents, and a problem that lists the
 * services for anything else.
 */
function otherPaths(services: BuiltService[], docsDir: string): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(docsRouter(docsDir, services));
  app.use((request, response) => {
    const docs = request.path.startsWith('/docs');
    response
      .status(404)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: docs ? 'Unknown docs page' : 'Unknown service',
          status: 404,
          detail: docs
            ? `No docs page or document at ${request.path}; the docs start at /docs.`
            : `No mocked service at ${request.path}.`,
          services: services.map(({ service }) => `/${service}`),
        }),
      );
  });
  return app;
}

/** Any origin may call the mock from a browser, with any headers (`Prefer` among them). */
function allowBrowsers(request: IncomingMessage, response: ServerResponse) {
  response.setHeader('access-control-allow-origin', request.headers.origin ?? '*');
  response.setHeader(
    'access-control-allow-headers',
    request.headers['access-control-request-headers'] ?? '*',
  );
  response.setHeader('access-control-allow-credentials', 'true');
  response.setHeader('access-control-expose-headers', '*');
}
