import type { Catalog, CatalogEntry, Language } from '../catalog/types.d.ts';
import type { Change } from './rules.ts';

const scope = 'catalog';
const languages: Record<Language, string> = { zh: 'Chinese', en: 'English' };

/** How a client names a code: its wire code, or its HTTP status when it has none. */
export function entryLabel(entry: CatalogEntry): string {
  return `${entry.name} (${entry.code ?? `HTTP ${entry.status}`})`;
}

/** What changed in a service's error catalog: its codes, and how errors reach the wire. */
export function compareCatalogs(before: Catalog | undefined, after: Catalog | undefined): Change[] {
  const was = new Map(before?.errors.map((entry) => [entry.name, entry]));
  const is = new Map(after?.errors.map((entry) => [entry.name, entry]));
  const changes: Change[] = [];
  for (const [name, entry] of was) {
    if (!is.has(name)) {
      changes.push({ kind: 'catalog-code-removed', scope, subject: entryLabel(entry) });
    }
  }
  for (const [name, entry] of is) {
    const old = was.get(name);
    if (!old) {
      changes.push({ kind: 'catalog-code-added', scope, subject: entryLabel(entry) });
    } else if (after) {
      changes.push(...compareEntries(old, entry, after.wire.language));
    }
  }
  if (before && after) {
    changes.push(...compareWire(before.wire, after.wire));
  }
  return changes;
}

function compareEntries(before: CatalogEntry, after: CatalogEntry, sent: Language): Change[] {
  const subject = entryLabel(after);
  const changes: Change[] = [];
  const differ = (field: keyof CatalogEntry) => before[field] !== after[field];
  if (differ('code')) {
    // Named alone: its label would give the new code.
    const [was, is] = [`${before.code ?? 'none'}`, `${after.code ?? 'none'}`];
    changes.push({ kind: 'wire-code-changed', scope, subject: after.name, before: was, after: is });
  }
  if (differ('status')) {
    const [was, is] = [`${before.status}`, `${after.status}`];
    changes.push({ kind: 'status-changed', scope, subject, before: was, after: is });
  }
  if (differ('surface')) {
    const [was, is] = [`a ${before.surface} code`, `a ${after.surface} code`];
    changes.push({ kind: 'surface-changed', scope, subject, before: was, after: is });
  }
  const [had, has] = [Object.keys(before.details ?? {}), Object.keys(after.details ?? {})];
  for (const detail of had.filter((key) => !has.includes(key))) {
    changes.push({ kind: 'detail-removed', scope, subject, before: detail });
  }
  for (const detail of has.filter((key) => !had.includes(key))) {
    changes.push({ kind: 'detail-added', scope, subject, after: detail });
  }
  if (differ('retryable')) {
    const words = (retryable: boolean) => (retryable ? 'retryable' : 'not retryable');
    const [was, is] = [words(before.retryable), words(after.retryable)];
    changes.push({ kind: 'retryable-changed', scope, subject, before: was, after: is });
  }
  for (const language of Object.keys(languages) as Language[]) {
    const [was, is] = [before.message[language], after.message[language]];
    if (was !== is) {
      // Clients show the message the envelope carries; the other language is documentation.
      const change =
        language === sent
          ? { kind: 'sent-message-changed' as const, subject }
          : {
              kind: 'message-changed' as const,
              subject: `the ${languages[language]} message of ${subject}`,
            };
      changes.push({ ...change, scope, before: was, after: is });
    }
  }
  return changes;
}

function compareWire(before: Catalog['wire'], after: Catalog['wire']): Change[] {
  const changes: Change[] = [];
  const envelope = {
    'content type': [before.contentType, after.contentType],
    schema: [before.schema, after.schema],
    envelope: [before.envelope ?? 'their own', after.envelope ?? 'their own'],
  };
  for (const [subject, [was, is]] of Object.entries(envelope)) {
    if (was !== is) {
      changes.push({ kind: 'error-envelope-changed', scope, subject, before: was, after: is });
    }
  }
  if (before.language !== after.language) {
    const [was, is] = [languages[before.language], languages[after.language]];
    changes.push({
      kind: 'wire-language-changed',
      scope,
      subject: 'language',
      before: was,
      after: is,
    });
  }
  return changes;
}
