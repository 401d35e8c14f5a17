import { escapeHtml, page } from './html.ts';
import { changelogLink, docsLinks } from './links.js';

/** One API as the landing page lists it. */
export interface ApiSummary {
  service: string;
  title: string;
  summary: string;
  /** Its document's `info.version`. */
  version: string;
  operations: number;
  codes: number;
}

const styles = `
.apis { display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); gap: 1rem;
  padding: 0; list-style: none; }
.apis li { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
.apis h2 { margin: 0 0 0.25rem; border: 0; font-size: 1.2rem; }
.apis p { margin: 0.25rem 0 0.75rem; }
.count { color: var(--muted); font-size: 0.9rem; }
`;

/**
 * The docs' front page: each API with a line on it, its version, and links to its reference,
 * catalog and changelog.
 */
export function landingPage(apis: readonly ApiSummary[]): string {
  const body = `
<header>
  <h1>API contracts</h1>
  <p class="lead">The contracts of ${apis.length} services, built from their error catalogs. Every
  API is mocked under <code>/&lt;service&gt;</code> on port 4010, where
  <code>Prefer: example=&lt;CODE&gt;</code> answers any documented error; the services with a
  reference server answer under the same paths on port 8080.</p>
</header>
<ul class="apis">
${apis
  .map((api) => {
    const links = docsLinks(api.service);
    return `<li id="${api.service}">
  <h2><a href="${links.reference}">${escapeHtml(api.title)}</a></h2>
  <p>${escapeHtml(api.summary)}</p>
  <p class="count">Version ${escapeHtml(api.version)} · ${api.operations} operations · ${api.codes} error codes</p>
  <a href="${links.reference}">Reference</a> ·
  <a href="${links.errors}">Error catalog</a> ·
  <a href="${changelogLink(api.service)}">Changelog</a> ·
  <a href="${links.document}">OpenAPI document</a>
</li>`;
  })
  .join('\n')}
</ul>`;
  return page({ title: 'API contracts', styles, body });
}
