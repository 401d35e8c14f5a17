import type { ChangelogSection } from '../contract-diff/changelog.ts';
import { escapeHtml, page } from './html.ts';
import { docsHome, docsLinks } from './links.js';

const styles = `
.release { border-top: 1px solid var(--line); scroll-margin-top: 1rem; }
.release h2 { border: 0; margin-top: 1.5rem; }
.release h2 a { color: inherit; text-decoration: none; }
.release:target h2 { color: var(--accent); }
.release h3 { font-size: 1rem; margin: 1rem 0 0.25rem; }
.release ul { margin: 0; padding-left: 1.1rem; }
`;

/**
 * The changelog page of one service: each of its CHANGELOG.md sections, newest first, under
 * its version's anchor (`#v2.0.0`).
 */
export function changelogPage(
  service: string,
  title: string,
  sections: readonly ChangelogSection[],
): string {
  const links = docsLinks(service);
  const releases = sections
    .map(
      ({ version, body }) => `<section class="release" id="v${escapeHtml(version)}">
<h2><a href="#v${escapeHtml(version)}">${escapeHtml(version)}</a></h2>
${markdown(body)}
</section>`,
    )
    .join('\n');
  const body = `
<header>
  <nav><a href="${docsHome}">All APIs</a> · <a href="${links.reference}">${escapeHtml(title)} reference</a> · <a href="${links.errors}">Error catalog</a></nav>
  <h1>${escapeHtml(title)}: changelog</h1>
  <p class="lead">Each release of the contract, newest first, from the <code>## ${escapeHtml(service)} &lt;version&gt;</code>
  sections of <code>CHANGELOG.md</code>. A breaking change comes with a new major version.</p>
</header>
${releases || '<p class="empty">No release is recorded in CHANGELOG.md yet.</p>'}`;
  return page({ title: `${title} changelog`, styles, body });
}

/**
 * The markdown `npm run contract:diff -- --changelog` writes and people add to: `###` headings,
 * `-` lists, paragraphs and `code`. Everything else is shown as text.
 */
function markdown(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((block) => {
      if (block.startsWith('- ')) {
        const items = block.slice(2).split(/\n- /);
        return `<ul>${items.map((item) => `<li>${inline(item)}</li>`).join('')}</ul>`;
      }
      const heading = /^###\s+(.*)$/.exec(block);
      return heading ? `<h3>${inline(heading[1] ?? '')}</h3>` : `<p>${inline(block)}</p>`;
    })
    .join('\n');
}

function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}
