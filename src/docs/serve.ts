import { resolve } from 'node:path';
import express, { type Response, type Router } from 'express';
import { contentSecurityPolicy } from './html.ts';

/**
 * The docs `npm run docs` built into `dir`: the landing page at /docs, each service's reference
 * at /docs/<service> and its error catalog at /docs/<service>/errors.
 */
export function docsRouter(dir: string, services: readonly string[]): Router {
  const root = resolve(dir);
  const router = express.Router();
  const send = (file: string) => (_request: unknown, response: Response) => {
    response.sendFile(
      file,
      { root, headers: { 'Content-Security-Policy': contentSecurityPolicy } },
      (error) => {
        if (error && !response.headersSent) {
          response.status(404).type('text/plain').send(`${file} is not built: run npm run docs\n`);
        }
      },
    );
  };
  router.get('/docs', send('index.html'));
  for (const service of services) {
    router.get(`/docs/${service}`, send(`${service}/index.html`));
    router.get(`/docs/${service}/errors`, send(`${service}/errors.html`));
  }
  return router;
}
