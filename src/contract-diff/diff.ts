import type { Catalog } from '../catalog/types.d.ts';
import { compareCatalogs, entryLabel } from './catalog.ts';
import { asNode, asText, type Node } from './document.ts';
import { compareOperations } from './operations.ts';
import type { Change } from './rules.ts';

/** One version of a service's contract; a file it lacks reads as empty (everything added). */
export interface Snapshot {
  /** The bundled document, `generated/<service>/openapi.yaml`. */
  document?: Node;
  /** The error catalog, `openapi/<service>/errors.yaml`. */
  catalog?: Catalog;
}

/** What changed in one service between the base and the working tree. */
export interface ServiceDiff {
  service: string;
  /** `info.version` of the document at the base and now. */
  before?: string;
  after?: string;
  changes: Change[];
}

export function diffService(service: string, before: Snapshot, after: Snapshot): ServiceDiff {
  const entries = new Map(
    [...(before.catalog?.errors ?? []), ...(after.catalog?.errors ?? [])].map((entry) => [
      entry.name,
      entry,
    ]),
  );
  const label = (name: string) => {
    const entry = entries.get(name);
    return entry ? entryLabel(entry) : name;
  };
  const documents = { before: before.document ?? {}, after: after.document ?? {} };
  return {
    service,
    before: version(before.document),
    after: version(after.document),
    changes: [
      ...compareOperations(documents, label),
      ...compareCatalogs(before.catalog, after.catalog),
    ],
  };
}

const version = (document: Node | undefined) => asText(asNode(document?.info).version);
