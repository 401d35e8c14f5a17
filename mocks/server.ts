import { createServer, type Server } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
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
  const app = createMockApp(services, logLevel, docsDir);
  const server = createServer(app);
  answerUnparsable(server, app);
  return server;
}

function createMockApp(services: BuiltService[], logLevel: string, docsDir: string): Express {
  const logger = createLogger(logLevel);
  const lifecycle = new Lifecycle();
  const apps = services.map(({ document, catalog }) =>
    mockService(document, loadCatalog(catalog), { lifecycle, logger }),
  );
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(cors);
  for (const service of apps) {
    app.use(service);
  }
  shareRefusedRequests(app, apps);
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
const cors: RequestHandler = (request, response, next) => {
  response.set({
    'access-control-allow-origin': request.get('origin') ?? '*',
    'access-control-allow-headers': request.get('access-control-request-headers') ?? '*',
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': '*',
  });
  if (request.method === 'OPTIONS') {
    response.set('access-control-allow-methods', 'GET,POST,PUT,PATCH,DELETE,OPTIONS');
    response.status(204).end();
    return;
  }
  next();
};
