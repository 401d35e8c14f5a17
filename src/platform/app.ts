import express, { type Express } from 'express';
import { docsRouter } from '../docs/serve.ts';
import type { BuiltService } from './documents.ts';

/**
 * The platform: each service app (mounted at its own /<service>), the docs built into `docsDir`
 * under /docs, every bundled document at /openapi/<service>.yaml, and an index of them at /.
 */
export function createPlatformApp(
  documents: BuiltService[],
  services: Express[],
  docsDir = 'dist/docs',
): Express {
  const app = express();
  app.disable('x-powered-by');
  for (const service of services) {
    app.use(service);
  }
  app.use(docsRouter(docsDir, documents));
  app.get('/', (_request, response) => {
    response.json({
      docs: '/docs',
      apis: documents.map(({ service }) => ({
        service,
        base: `/${service}`,
        document: `/openapi/${service}.yaml`,
        docs: `/docs/${service}`,
        errors: `/docs/${service}/errors`,
      })),
    });
  });
  app.use((request, response) => {
    response.status(404).json({ error: 'not found', path: request.path, apis: '/' });
  });
  return app;
}
