import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCatalog } from '../../src/catalog/load.js';
import type { Catalog } from '../../src/catalog/types.d.ts';
import { catalogPage } from '../../src/docs/catalog-page.ts';
import { escapeHtml } from '../../src/docs/html.ts';
import { type ReferenceDocument, referenceOperations } from '../../src/docs/operations.ts';
import { builtServices } from '../../src/build/services.ts';

const count = (html: string, text: string) => html.split(text).length - 1;

describe.each(builtServices())('the $service catalog page', ({ service, document, catalog }) => {
  const entries = loadCatalog(catalog);
  const bundled = parse(readFileSync(document, 'utf8'));
  const operations = referenceOperations(bundled as ReferenceDocument);
  const html = catalogPage(entries, operations);

  it('gives every code one anchor, and links it from each operation that returns it', () => {
    for (const entry of entries.errors) {
      expect(count(html, `id="${entry.name}"`), entry.name).toBe(1);
      for (const operation of operations.filter((op) => op.errors.includes(entry.name))) {
        expect(html).toContain(`href="/docs/${service}${operation.route}"`);
      }
    }
  });

  it('shows each error response as the reference documents it, under its first operation', () => {
    for (const entry of entries.errors.filter((e) => e.surface === 'http')) {
      const first = operations.find((op) => op.errors.includes(entry.name));
      const response = first && bundled.paths[first.path][first.method.toLowerCase()].responses;
      const media = response?.[entry.status]?.content?.[entries.wire.contentType];
      const documented = media?.examples?.[entry.name]?.value;
      expect(documented, entry.name).toBeDefined();
      expect(html, entry.name).toContain(escapeHtml(JSON.stringify(documented)));
    }
  });
});

describe('catalogPage', () => {
  const catalog: Catalog = {
    service: 'demo',
    title: { zh: '演示', en: 'Demo' },
    wire: { language: 'en', contentType: 'application/problem+json', schema: 'Problem' },
    groups: [{ id: 'request', title: { zh: '请求', en: 'Requests' } }],
    errors: [
      {
        name: 'BAD_INPUT',
        status: 400,
        group: 'request',
        surface: 'http',
        message: { zh: '输入<无效>', en: 'Input is <b>invalid</b>' },
        retryable: false,
      },
    ],
  };

  it('escapes what the catalog says', () => {
    const html = catalogPage({ ...catalog, service: 'divination' }, []);
    expect(html).toContain('Input is &lt;b&gt;invalid&lt;/b&gt;');
    expect(html).toContain('输入&lt;无效&gt;');
    expect(html).not.toContain('<b>invalid');
  });

  it('marks the message the envelope sends, and only that one', () => {
    const html = catalogPage({ ...catalog, service: 'divination' }, []);
    expect(count(html, '(sent)')).toBe(1);
    expect(html).toMatch(/invalid&lt;\/b&gt;<\/span> <span class="wire">\(sent\)/);
    const codeOnly = catalogPage({ ...catalog, service: 'podi' }, []);
    expect(count(codeOnly, '(sent)')).toBe(0);
    expect(codeOnly).toContain('with the code alone');
  });
});
