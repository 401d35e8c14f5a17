import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtServices } from '../../src/build/services.ts';
import { loadCatalog } from '../../src/catalog/load.js';
import { roleBody, roleCode, roleValues } from '../../src/catalog/platform.js';
import type { Catalog } from '../../src/catalog/types.d.ts';
import { catalogPage } from '../../src/docs/catalog-page.ts';
import { escapeHtml } from '../../src/docs/html.ts';
import { type ReferenceDocument, referenceOperations } from '../../src/docs/operations.ts';

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

  it('says what answers each role of the platform, linking each code to its entry', () => {
    const section = html.slice(html.indexOf('id="platform"'), html.indexOf('</section>'));
    for (const at of roleValues(entries.platform)) {
      const name = roleCode(at.value);
      const body = roleBody(at.value);
      expect(section, at.path.join('.')).toContain(
        name === undefined
          ? escapeHtml(JSON.stringify(body?.example))
          : `<a href="#${name}"><code>${name}</code></a>`,
      );
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
    platform: {
      validation: { default: 'BAD_INPUT' },
      malformedJson: 'BAD_INPUT',
      mediaType: 'BAD_INPUT',
      bodyTooLarge: 'BAD_INPUT',
      unknownPath: { code: 'BAD_INPUT', reason: 'No <not-found> code' },
      draining: 'BAD_INPUT',
      databaseDown: 'BAD_INPUT',
      internal: 'BAD_INPUT',
    },
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
    expect(html).toContain('No &lt;not-found&gt; code');
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
