import express, { type Express } from 'express';
import type { BuiltService } from './documents.ts';

/**
 * The platform: every bundled document at /openapi/<service>.yaml and an index of them at /.
 * The services themselves are mounted under /<service> by the server issue.
 */
export function createPlatformApp(services: BuiltService[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/', (_request, response) => {
    response.json({
      apis: services.map(({ service }) => ({ service, document: `/openapi/${service}.yaml` })),
    });
  });
  for (const { service, document } of services) {
    app.get(`/openapi/${service}.yaml`, (_request, response) => {
      response.type('application/yaml').sendFile(document, { root: process.cwd() });
    });
  }
  return app;
}
