const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** What the docs read of a bundled document. */
export interface ReferenceDocument {
  info: { title: string; version: string; summary?: string };
  servers?: { url: string }[];
  paths: Record<string, Partial<Record<(typeof methods)[number], DocumentOperation>>>;
}

interface DocumentOperation {
  operationId: string;
  summary: string;
  tags: string[];
  'x-errors'?: string[];
  'x-error-field'?: { path: string };
}

/** One operation of a document, as the catalog page links to it. */
export interface ReferenceOperation {
  method: string;
  path: string;
  /** Its path under the document's base path, as an error's `instance` names it. */
  instance: string;
  operationId: string;
  summary: string;
  /** The codes it lists in `x-errors`. */
  errors: readonly string[];
  /** The field of its resource that carries its `field` codes. */
  field?: string;
  /** Its place on the reference page, `#/<tag>/<operationid>` as Redoc routes it. */
  route: string;
}

/** Every operation of a bundled document, in the document's order. */
export function referenceOperations(document: ReferenceDocument): ReferenceOperation[] {
  const basePath = document.servers?.[0]?.url ?? '';
  return Object.entries(document.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method];
      if (!operation) {
        return [];
      }
      return [
        {
          method: method.toUpperCase(),
          path,
          instance: `${basePath}${path}`,
          operationId: operation.operationId,
          summary: operation.summary,
          errors: operation['x-errors'] ?? [],
          field: operation['x-error-field']?.path,
          route: referenceRoute(operation.tags[0] ?? '', operation.operationId),
        },
      ];
    }),
  );
}

/**
 * Redoc's hash route of an operation: its first tag and its operationId, lower-cased, the tag's
 * other characters turned to dashes. test/docs/browser.test.ts opens every one of them.
 */
export function referenceRoute(tag: string, operationId: string): string {
  const slug = tag.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return `#/${slug}/${operationId.toLowerCase()}`;
}
