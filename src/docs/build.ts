import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { BuiltService } from '../build/services.ts';
import { loadCatalog } from '../catalog/load.js';
import { changelogSections } from '../contract-diff/changelog.ts';
import { catalogPage } from './catalog-page.ts';
import { changelogPage } from './changelog-page.ts';
import { landingPage } from './landing-page.ts';
import { type ReferenceDocument, referenceOperations } from './operations.ts';
import { buildReference } from './reference.ts';

/**
 * Writes the docs of every built service into `out`: `index.html` listing them, and per service
 * `<service>/index.html` (the reference), `<service>/errors.html` (the error catalog) and
 * `<service>/changelog.html` (its sections of `changelog`). They are written next to `out`
 * first and swapped in whole, so a served `out` is never half-built.
 */
export async function buildDocs(
  services: readonly BuiltService[],
  out: string,
  changelog = 'CHANGELOG.md',
): Promise<void> {
  const staging = `${out}.building`;
  rmSync(staging, { recursive: true, force: true });
  const releases = changelogSections(existsSync(changelog) ? readFileSync(changelog, 'utf8') : '');
  const apis = await Promise.all(
    services.map(async ({ service, document: file, catalog: catalogFile }) => {
      const document = parse(readFileSync(file, 'utf8')) as ReferenceDocument;
      const catalog = loadCatalog(catalogFile);
      const operations = referenceOperations(document);
      mkdirSync(join(staging, service), { recursive: true });
      writeFileSync(join(staging, service, 'errors.html'), catalogPage(catalog, operations));
      const sections = releases.filter((section) => section.service === service);
      const changelogHtml = changelogPage(service, document.info.title, sections);
      writeFileSync(join(staging, service, 'changelog.html'), changelogHtml);
      const title = `${document.info.title} reference`;
      await buildReference(file, title, join(staging, service, 'index.html'));
      return {
        service,
        title: document.info.title,
        summary: document.info.summary ?? '',
        version: document.info.version,
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
