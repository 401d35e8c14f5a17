import { describe, expect, it } from 'vitest';
import { changelogSections } from '../../src/contract-diff/changelog.ts';
import { changelogPage } from '../../src/docs/changelog-page.ts';
import { landingPage } from '../../src/docs/landing-page.ts';

const changelog = `# Changelog

The format.

## podi 2.0.0

2026-05-04, against v1.0.0 (podi 1.0.0).

### Breaking

- GET /tasks no longer lists error <TASK_GONE> (removed error code)
- \`items[].name\` of the 200 response is no longer returned
  (removed response property)

## divination 1.1.0

Not podi's.

## podi 1.0.0

The first versioned contract.
`;

const podi = changelogSections(changelog).filter((section) => section.service === 'podi');

describe('changelogPage', () => {
  const html = changelogPage('podi', 'Podi API', podi);

  it("shows the service's releases, newest first, each under its version's anchor", () => {
    expect(html).toContain('<h1>Podi API: changelog</h1>');
    expect(html.indexOf('id="v2.0.0"')).toBeLessThan(html.indexOf('id="v1.0.0"'));
    expect(html).not.toContain("Not podi's");
    expect(html).toContain('<a href="/docs/podi">Podi API reference</a>');
  });

  it('renders the headings, lists and code of a section, and escapes the rest', () => {
    expect(html).toContain('<h3>Breaking</h3>');
    expect(html).toContain(
      '<li>GET /tasks no longer lists error &lt;TASK_GONE&gt; (removed error code)</li>',
    );
    expect(html).toContain(
      '<li><code>items[].name</code> of the 200 response is no longer returned\n  (removed response property)</li>',
    );
    expect(html).toContain('<p>2026-05-04, against v1.0.0 (podi 1.0.0).</p>');
    expect(html).not.toContain('<TASK_GONE>');
  });

  it('says when a service has no release yet', () => {
    expect(changelogPage('podi', 'Podi API', [])).toContain(
      'No release is recorded in CHANGELOG.md yet.',
    );
  });
});

describe('landingPage', () => {
  it("links each service's changelog, with its version", () => {
    const html = landingPage([
      {
        service: 'podi',
        title: 'Podi API',
        summary: '',
        version: '2.0.0',
        operations: 3,
        codes: 4,
      },
    ]);
    expect(html).toContain('<a href="/docs/podi/changelog">Changelog</a>');
    expect(html).toContain('Version 2.0.0 · 3 operations · 4 error codes');
  });
});
