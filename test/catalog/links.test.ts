import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogEntryUrl } from '../../src/catalog/envelopes.js';
import { docsLinks } from '../../src/catalog/links.js';
import { loadCatalog } from '../../src/catalog/load.js';

describe('the docs URL scheme', () => {
  it.each([
    ['reference', '/docs/podi'],
    ['errors', '/docs/podi/errors'],
    ['document', '/openapi/podi.yaml'],
  ] as const)('puts the %s of a service at %s', (page, url) => {
    expect(docsLinks('podi')[page]).toBe(url);
  });

  it("links a divination problem's type to its catalog entry", () => {
    const catalog = loadCatalog('openapi/divination/errors.yaml');
    const entry = catalog.errors.find((candidate) => candidate.name === 'PROFILE_NOT_FOUND');
    if (!entry) {
      throw new Error('divination has PROFILE_NOT_FOUND');
    }
    expect(catalogEntryUrl(catalog, entry)).toBe('/docs/divination/errors#PROFILE_NOT_FOUND');
  });
});

describe('src/catalog', () => {
  // The catalog layer is below everything that reads catalogs: the plugin, the docs, the mock,
  // the server and the clients import it, never the other way round.
  const files = readdirSync('src/catalog', { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(js|ts)$/.test(file))
    .map((file) => join('src/catalog', file));

  it.each(files)('%s imports nothing from outside src/catalog', (file) => {
    const imports = [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']*)'/g)].map(
      (match) => match[1],
    );
    const depth = file.split('/').length - 3; // src/catalog/import/x.ts is one folder down
    const outside = imports.filter((path) => path?.startsWith(`${'../'.repeat(depth + 1)}`));
    expect(outside).toEqual([]);
  });
});
