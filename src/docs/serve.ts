import { resolve } from 'node:path';
import express, { type Response, type Router } from 'express';
import type { BuiltService } from '../build/services.ts';
import { contentSecurityPolicy } from './html.ts';
import { changelogLink, docsHome, docsLinks } from './links.js';

/**
 * The docs `npm run docs` built into `dir`: the landing page at /docs, each service's reference
 * at /docs/<service>, its error catalog at /docs/<service>/errors and its changelog at
 * /docs/<service>/changelog; and the bundled documents the landing page links to, at
 * /openapi/<service>.yaml.
 */
export function docsRouter(dir: string, documents: readonly BuiltService[]): Router {
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
  router.get(docsHome, send('index.html'));
  for (const { service, document } of documents) {
    const links = docsLinks(service);
    router.get(links.reference, send(`${service}/index.html`));
    router.get(links.errors, send(`${service}/errors.html`));
    router.get(changelogLink(service), send(`${service}/changelog.html`));
    router.get(links.document, (_request, response) => {
      response.type('application/yaml').sendFile(resolve(document));
    });
  }
  return router;
}
