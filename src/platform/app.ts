import express, { type Express } from 'express';
import type { BuiltService } from '../build/services.ts';
import { docsDir as defaultDocsDir, docsHome, docsLinks } from '../docs/links.js';
import { docsRouter } from '../docs/serve.ts';
import { shareRefusedRequests } from './listen.ts';

/**
 * The platform: each service app (mounted at its own /<service>), the docs built into `docsDir`
 * under /docs, every bundled document at /openapi/<service>.yaml, and an index of them at /.
 */
export function createPlatformApp(
  documents: BuiltService[],
  services: Express[],
  docsDir = defaultDocsDir,
): Express {
  const app = express();
  app.disable('x-powered-by');
  for (const service of services) {
    app.use(service);
  }
  shareRefusedRequests(app, services);
  app.use(docsRouter(docsDir, documents));
  app.get('/', (_request, response) => {
    response.json({
      docs: docsHome,
      apis: documents.map(({ service }) => {
        const { reference, errors, document } = docsLinks(service);
        return { service, base: `/${service}`, document, docs: reference, errors };
      }),
    });
  });
  app.use((request, response) => {
    response.status(404).json({ error: 'not found', path: request.path, apis: '/' });
  });
  return app;
}
