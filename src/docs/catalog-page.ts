import { STATUS_CODES } from 'node:http';
import { exampleBody } from '../catalog/envelopes.js';
import { type RoleAt, roleBody, roleCode, roleTitle, roleValues } from '../catalog/platform.js';
import type { Catalog, CatalogEntry, CatalogGroup } from '../catalog/types.d.ts';
import { escapeHtml, page } from './html.ts';
import { docsHome, docsLinks } from './links.js';
import type { ReferenceOperation } from './operations.ts';

const styles = `
.filter { position: sticky; top: 0; background: #fff; padding: 0.75rem 0; z-index: 1;
  border-bottom: 1px solid var(--line); display: flex; gap: 1rem; align-items: center; }
.filter input { flex: 1; font: inherit; padding: 0.4rem 0.6rem; border: 1px solid var(--line);
  border-radius: 6px; }
.groups ul { display: flex; flex-wrap: wrap; gap: 0.25rem 1.5rem; list-style: none; padding: 0;
  font-size: 0.9rem; }
.entry { border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 1rem; margin: 1rem 0;
  scroll-margin-top: 5rem; }
section.group { scroll-margin-top: 4rem; }
.entry:target { border-color: var(--accent); box-shadow: 0 0 0 2px #0550ae33; }
.entry h3 { margin: 0 0 0.5rem; font-size: 1.05rem; display: flex; flex-wrap: wrap; gap: 0.5rem;
  align-items: baseline; }
.entry h3 a { color: inherit; text-decoration: none; }
.tag { font-size: 0.8rem; font-weight: normal; border-radius: 1rem; padding: 0 0.6rem;
  background: var(--soft); border: 1px solid var(--line); }
.tag.status { background: #fff1e5; border-color: #f5c395; }
.tag.retry { background: #dafbe1; border-color: #8fd6a2; }
dl { display: grid; grid-template-columns: 8rem 1fr; gap: 0.25rem 1rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
.wire { font-size: 0.75rem; color: var(--muted); }
ul.operations { margin: 0; padding-left: 1.1rem; }
.platform table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
.platform th, .platform td { text-align: left; vertical-align: top; padding: 0.3rem 0.75rem 0.3rem 0;
  border-bottom: 1px solid var(--line); }
pre { margin: 0; background: var(--soft); padding: 0.25rem 0.5rem; border-radius: 6px;
  white-space: pre-wrap; word-break: break-word; }
`;

// Filters the entries as one types: by name, wire code or either message.
const script = `
const input = document.getElementById('filter');
const count = document.getElementById('shown');
input.addEventListener('input', () => {
  const words = input.value.trim().toLowerCase();
  let shown = 0;
  for (const entry of document.querySelectorAll('.entry')) {
    const match = entry.dataset.search.includes(words);
    entry.hidden = !match;
    shown += match ? 1 : 0;
  }
  for (const group of document.querySelectorAll('section.group')) {
    group.hidden = !group.querySelector('.entry:not([hidden])');
  }
  count.textContent = shown;
});
`;

/**
 * The error catalog page of one service: every code under its anchor (`#<NAME>`), with its
 * status, wire code, both messages, advice, whether to retry, the body sent, and links to the
 * operations of the reference page that return it.
 */
export function catalogPage(catalog: Catalog, operations: readonly ReferenceOperation[]): string {
  const { service } = catalog;
  const links = docsLinks(service);
  const groups = catalog.groups.filter((group) =>
    catalog.errors.some((entry) => entry.group === group.id),
  );
  const body = `
<header>
  <nav><a href="${docsHome}">All APIs</a> · <a href="${links.reference}">${escapeHtml(catalog.title.en)} reference</a></nav>
  <h1>${escapeHtml(catalog.title.en)}: error catalog</h1>
  <p class="lead">${catalog.errors.length} codes, from <code>openapi/${service}/errors.yaml</code>.
  ${wireSummary(catalog)} Link to a code as <code>${links.errors}#&lt;NAME&gt;</code>.</p>
</header>
<div class="filter">
  <input id="filter" type="search" placeholder="Filter by code, number or message" aria-label="Filter codes">
  <span><span id="shown">${catalog.errors.length}</span> of ${catalog.errors.length}</span>
</div>
${platformSection(catalog)}
<nav class="groups"><ul>${groups
    .map((group) => `<li><a href="#group-${group.id}">${groupTitle(group)}</a></li>`)
    .join('')}</ul></nav>
${groups
  .map(
    (group) => `<section class="group" id="group-${group.id}">
<h2>${groupTitle(group)}</h2>
${catalog.errors
  .filter((entry) => entry.group === group.id)
  .map((entry) => entryArticle(catalog, entry, operations))
  .join('\n')}
</section>`,
  )
  .join('\n')}`;
  return page({ title: `${catalog.title.en} error catalog`, styles, body, script });
}

/**
 * What answers what the platform detects itself, before or around the operations (validation,
 * an unknown path, a shutdown…): a code, linked to its entry, or a body that is no code.
 */
function platformSection(catalog: Catalog): string {
  const keywords = Object.keys(catalog.platform.validation).length;
  const rows = roleValues(catalog.platform).map((at) => {
    return `<tr><td>${escapeHtml(situation(at, keywords > 1))}</td><td>${answerCell(at)}</td></tr>`;
  });
  return `<section class="platform" id="platform">
<h2>What the platform answers</h2>
<p>Whatever the operation: from <code>platform</code> in the catalog.</p>
<table><thead><tr><th>When</th><th>Answer</th></tr></thead><tbody>${rows.join('')}</tbody></table>
</section>`;
}

function situation(at: RoleAt, byKeyword: boolean): string {
  const text = roleTitle(at.role);
  if (at.role !== 'validation' || !byKeyword) {
    return text;
  }
  return at.keyword === 'default' ? `${text}, any other keyword` : `${text}, by ${at.keyword}`;
}

/** The answer of one role, as a cell of the table: the code, linked, or the body that is no code. */
function answerCell(at: RoleAt): string {
  const name = roleCode(at.value);
  const why = (reason: string) => ` <span class="wire">(${escapeHtml(reason)})</span>`;
  if (name !== undefined) {
    const reason = typeof at.value === 'object' && 'reason' in at.value ? why(at.value.reason) : '';
    return `<a href="#${escapeHtml(name)}"><code>${escapeHtml(name)}</code></a>${reason}`;
  }
  const body = roleBody(at.value);
  return body
    ? `HTTP ${body.status}, no catalog code: <code>${escapeHtml(JSON.stringify(body.example))}</code>${why(body.reason)}`
    : '';
}

function wireSummary(catalog: Catalog): string {
  const language = catalog.wire.language === 'zh' ? 'Chinese' : 'English';
  const messages = catalog.errors.some((entry) =>
    carriesMessage(catalog, entry, sentBody(catalog, entry)),
  )
    ? `with the message in ${language}`
    : 'with the code alone: show users the messages below';
  return `Errors are sent as <code>${escapeHtml(catalog.wire.contentType)}</code>, ${messages}.`;
}

/**
 * The body (or field value) the service sends for a code, as the reference shows it under the
 * first operation that returns it.
 */
function sentBody(catalog: Catalog, entry: CatalogEntry, instance?: string): string {
  return JSON.stringify(exampleBody(catalog, entry, instance));
}

/** Whether what is sent for a code includes its message, or only the code. */
function carriesMessage(catalog: Catalog, entry: CatalogEntry, sent: string): boolean {
  return sent.includes(JSON.stringify(entry.message[catalog.wire.language]));
}

function groupTitle(group: CatalogGroup): string {
  return `${escapeHtml(group.title.en)} <span lang="zh-Hans">${escapeHtml(group.title.zh)}</span>`;
}

function entryArticle(
  catalog: Catalog,
  entry: CatalogEntry,
  operations: readonly ReferenceOperation[],
): string {
  const returning = operations.filter((operation) => operation.errors.includes(entry.name));
  const search = [entry.name, entry.code, entry.message.zh, entry.message.en]
    .filter((part) => part !== undefined)
    .join(' ')
    .toLowerCase();
  const sent = sentBody(catalog, entry, returning[0]?.instance);
  const wire = (language: 'zh' | 'en') =>
    catalog.wire.language === language && carriesMessage(catalog, entry, sent)
      ? ' <span class="wire">(sent)</span>'
      : '';
  const rows = [
    ['Status', `${entry.status} ${STATUS_CODES[entry.status] ?? ''}${reason(entry)}`],
    ['Arrives', arrives(entry)],
    entry.pattern && [
      'Pattern',
      `<code>${escapeHtml(entry.pattern)}</code>${entry.sample ? `, e.g. <code>${escapeHtml(entry.sample)}</code>` : ''}`,
    ],
    ['Message', `<span lang="zh-Hans">${escapeHtml(entry.message.zh)}</span>${wire('zh')}`],
    ['', `<span lang="en">${escapeHtml(entry.message.en)}</span>${wire('en')}`],
    entry.advice && [
      // Advice the team's table does not give is ours: say so, it carries less weight.
      entry.adviceSource === 'ours' ? 'Advice (ours: the seed gives none)' : 'Advice',
      `<span lang="zh-Hans">${escapeHtml(entry.advice.zh)}</span><br><span lang="en">${escapeHtml(entry.advice.en)}</span>`,
    ],
    ['Retry', entry.retryable ? 'Yes: it may succeed later' : 'No: change the request first'],
    entry.note && ['Note', escapeHtml(entry.note)],
    ['Sent as', `<pre><code>${escapeHtml(sent)}</code></pre>`],
    ['Returned by', operationList(catalog, entry, returning)],
  ].filter((row): row is [string, string] => Boolean(row));
  return `<article class="entry" id="${escapeHtml(entry.name)}" data-search="${escapeHtml(search)}">
<h3><a href="#${escapeHtml(entry.name)}"><code>${escapeHtml(entry.name)}</code></a>
<span class="tag status">HTTP ${entry.status}</span>${entry.code !== undefined ? `<span class="tag">wire code ${entry.code}</span>` : ''}${entry.retryable ? '<span class="tag retry">retryable</span>' : ''}</h3>
<dl>${rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>
</article>`;
}

function reason(entry: CatalogEntry): string {
  return entry.statusReason ? ` <span class="wire">(${escapeHtml(entry.statusReason)})</span>` : '';
}

function arrives(entry: CatalogEntry): string {
  switch (entry.surface) {
    case 'http':
      return 'An error response';
    case 'body':
      return `In the body of the operation's own ${entry.status} answer`;
    case 'field':
      return `Inside the ${entry.status} resource, after the request was answered: the field each operation below names`;
  }
}

function operationList(
  catalog: Catalog,
  entry: CatalogEntry,
  operations: readonly ReferenceOperation[],
): string {
  const items = operations.map((operation) => {
    const field =
      entry.surface === 'field' && operation.field
        ? `, in <code>${escapeHtml(operation.field)}</code>`
        : '';
    return `<li><a href="${docsLinks(catalog.service).reference}${operation.route}"><code>${operation.method} ${escapeHtml(operation.path)}</code></a> ${escapeHtml(operation.summary)}${field}</li>`;
  });
  const list = `<ul class="operations">${items.join('')}</ul>`;
  // Sign-in codes are returned by nearly every operation: folded, they do not bury the page.
  return items.length > 6
    ? `<details><summary>${items.length} operations</summary>${list}</details>`
    : list;
}
