/** Types of an error catalog, `openapi/<service>/errors.yaml` (schema: openapi/errors.schema.json). */

export type Language = 'zh' | 'en';

/** Text in both languages the project keeps. */
export interface Text {
  zh: string;
  en: string;
}

/** Where a code reaches the client. */
export type Surface = 'http' | 'body' | 'field';

export interface CatalogGroup {
  id: string;
  title: Text;
  /** Inclusive range every numeric wire code of the group must fall in. */
  range?: readonly [number, number];
  /** HTTP statuses the group's codes may use. */
  statuses?: readonly number[];
}

export interface CatalogEntry {
  name: string;
  code?: number;
  status: number;
  statusReason?: string;
  group: string;
  surface: Surface;
  pattern?: string;
  sample?: string;
  message: Text;
  advice?: Text;
  retryable: boolean;
  details?: Record<string, unknown>;
  note?: string;
}

export interface Catalog {
  service: string;
  title: Text;
  wire: {
    language: Language;
    contentType: string;
    /** Whose envelope the errors use when not the service's own (a test fixture's). */
    envelope?: string;
    schema: string;
  };
  /** The code a path the API does not document answers. */
  unknownPath?: string;
  groups: readonly CatalogGroup[];
  errors: readonly CatalogEntry[];
}

/** One thing wrong with a catalog, at a JSON path inside the file. */
export interface CatalogProblem {
  message: string;
  path: (string | number)[];
}
