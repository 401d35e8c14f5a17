import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { BuiltService } from '../build/services.ts';
import { loadCatalog } from '../catalog/load.js';
import { catalogPage } from './catalog-page.ts';
import { landingPage } from './landing-page.ts';
import { type ReferenceDocument, referenceOperations } from './operations.ts';
import { buildReference } from './reference.ts';

/**
 * Writes the docs of every built service into `out`: `index.html` listing them, and per service
 * `<service>/index.html` (the reference) and `<service>/errors.html` (the error catalog). They
 * are written next to `out` first and swapped in whole, so a served `out` is never half-built.
 */
export async function buildDocs(services: readonly BuiltService[], out: string): Promise<void> {
  const staging = `${out}.building`;
  rmSync(staging, { recursive: true, force: true });
  const apis = await Promise.all(
    services.map(async ({ service, document: file, catalog: catalogFile }) => {
      const document = parse(readFileSync(file, 'utf8')) as ReferenceDocument;
      const catalog = loadCatalog(catalogFile);
      const operations = referenceOperations(document);
      mkdirSync(join(staging, service), { recursive: true });
      writeFileSync(join(staging, service, 'errors.html'), catalogPage(catalog, operations));
      const title = `${document.info.title} reference`;
      await buildReference(file, title, join(staging, service, 'index.html'));
      return {
        service,
        title: document.info.title,
        summary: document.info.summary ?? '',
        operations: operations.length,
        codes: catalog.errors.length,
      };
    }),
  );
  writeFileSync(join(staging, 'index.html'), landingPage(apis));
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { recursive: true, force: true });
  renameSync(staging, out);
}
