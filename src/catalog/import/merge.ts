import { Document, parse, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import { checkCatalog } from '../check.js';
import type { CatalogProblem, Language } from '../types.d.ts';
import { detectLanguage, type ImportedCode, type ImportedGroup } from './read-table.ts';

export interface ImportReport {
  added: string[];
  updated: string[];
  unchanged: string[];
  /** What the catalog still lacks (English texts, names, statuses the table does not give). */
  problems: CatalogProblem[];
}

/** Key order of an entry in errors.yaml, so hand-written and imported entries read alike. */
const entryKeys = [
  'name',
  'code',
  'status',
  'statusReason',
  'group',
  'surface',
  'pattern',
  'sample',
  'message',
  'advice',
  'adviceSource',
  'retryable',
  'details',
  'optionalDetails',
  'note',
];

const schemaComment = ' yaml-language-server: $schema=../errors.schema.json';

/**
 * Merges the codes read from a markdown table into a catalog (or a new one). What the table
 * states wins: name, wire code, status, the message and advice in the table's language,
 * retryable, the details keys it shows. Everything the table cannot say (English texts, group,
 * surface, pattern, other details keys, reasons, the platform block) is kept, so re-importing a
 * team's table never loses curated work.
 */
export function importIntoCatalog(
  source: string | undefined,
  service: string,
  codes: ImportedCode[],
): { yaml: string; report: ImportReport } {
  const doc = source === undefined ? newCatalog(service, codes) : parseDocument(source);
  const errors = doc.get('errors') as YAMLSeq<YAMLMap>;
  const report: ImportReport = { added: [], updated: [], unchanged: [], problems: [] };

  for (const code of codes) {
    const label = code.name ?? String(code.code);
    const entry = errors.items.find((item) =>
      code.code !== undefined ? item.get('code') === code.code : item.get('name') === code.name,
    );
    if (entry) {
      const before = JSON.stringify(entry.toJSON());
      applyTable(doc, entry, code);
      const changed = JSON.stringify(entry.toJSON()) !== before;
      (changed ? report.updated : report.unchanged).push(label);
    } else {
      const group = groupId(doc, code.group);
      const created = doc.createNode(newEntry(code, group)) as YAMLMap;
      const last = errors.items.findLastIndex((item) => item.get('group') === group);
      errors.items.splice(last < 0 ? errors.items.length : last + 1, 0, created);
      report.added.push(label);
    }
  }

  const yaml = doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  report.problems = checkCatalog(parse(yaml));
  return { yaml, report };
}

function newCatalog(service: string, codes: ImportedCode[]): Document {
  const texts = codes.flatMap((code) => Object.values(code.message));
  const zh = texts.filter((text) => detectLanguage(text) === 'zh').length;
  const doc = new Document({
    service,
    title: {},
    wire: {
      language: zh * 2 >= texts.length ? 'zh' : 'en',
      contentType: 'application/json',
      schema: 'Error',
    },
    groups: [],
    errors: [],
  });
  doc.commentBefore = schemaComment;
  return doc;
}

function applyTable(doc: Document, entry: YAMLMap, code: ImportedCode) {
  if (code.name !== undefined) {
    entry.set('name', code.name);
  }
  if (code.code !== undefined) {
    entry.set('code', code.code);
  }
  if (code.status !== undefined) {
    entry.set('status', code.status);
  }
  // Advice the table gives is the seed's, not ours any more.
  if (Object.keys(code.advice).length > 0) {
    entry.delete('adviceSource');
  }
  for (const field of ['message', 'advice'] as const) {
    for (const [language, text] of Object.entries(code[field]) as [Language, string][]) {
      if (!entry.has(field)) {
        entry.set(field, doc.createNode({}));
      }
      entry.setIn([field, language], text);
    }
  }
  if (code.retryable !== undefined) {
    entry.set('retryable', code.retryable);
  }
  // The keys the table shows win; keys documented by hand besides them (the table shows one
  // example a group, often not every key the service sends) are kept.
  for (const [key, value] of Object.entries(code.details ?? {})) {
    const current = entry.getIn(['details', key], true) as { toJSON?: () => unknown } | undefined;
    const known = current?.toJSON ? current.toJSON() : current;
    if (JSON.stringify(known) !== JSON.stringify(value)) {
      if (!entry.has('details')) {
        entry.set('details', doc.createNode({}));
      }
      entry.setIn(['details', key], doc.createNode(value));
    }
  }
  if (code.note !== undefined) {
    entry.set('note', code.note);
  }
  entry.items.sort((a, b) => entryKeys.indexOf(String(a.key)) - entryKeys.indexOf(String(b.key)));
}

function newEntry(code: ImportedCode, group: string): Record<string, unknown> {
  const pattern = code.name?.endsWith('_*') ? patternFor(code.name) : undefined;
  const entry: Record<string, unknown> = {
    name: code.name,
    code: code.code,
    status: code.status,
    group,
    surface: code.status !== undefined && code.status >= 400 ? 'http' : undefined,
    pattern,
    message: code.message,
    advice: Object.keys(code.advice).length > 0 ? code.advice : undefined,
    retryable: code.retryable ?? false,
    details: code.details,
    note: code.note,
  };
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
}

/** `COZE_HTTP_*` → `^COZE_HTTP_\d{3}$`; any other `_*` suffix → upper-case words. */
function patternFor(name: string): string {
  const prefix = name.slice(0, -1);
  return `^${prefix}${/_HTTP_$/.test(prefix) ? '\\d{3}' : '[A-Z0-9_]+'}$`;
}

/** The id of the catalog group the table's section matches, adding the group when it is new. */
function groupId(doc: Document, imported: ImportedGroup): string {
  const groups = doc.get('groups') as YAMLSeq<YAMLMap>;
  const existing = groups.items.find(
    (group) => group.getIn(['title', imported.language]) === imported.title,
  );
  if (existing) {
    return String(existing.get('id'));
  }
  const slug = imported.title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const id = imported.language === 'en' && slug ? slug : `section-${groups.items.length + 1}`;
  groups.items.push(
    doc.createNode({
      id,
      title: { [imported.language]: imported.title },
      ...(imported.range && { range: imported.range }),
    }) as YAMLMap,
  );
  return id;
}
