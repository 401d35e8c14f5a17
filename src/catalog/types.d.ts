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
  /** `ours` where the seed gives no advice and the catalog wrote it. */
  adviceSource?: 'ours';
  retryable: boolean;
  /** Example of the details the code carries; its values give their types. */
  details?: Details;
  /** Keys of `details` not sent with every occurrence. */
  optionalDetails?: readonly string[];
  note?: string;
}

/** A scalar of `details`. */
export type DetailScalar = string | number | boolean;

/** A value of `details`: a scalar, an array of scalars, an object of the same (recursively). */
export type DetailValue = DetailScalar | readonly DetailScalar[] | Details | readonly Details[];

export interface Details {
  [key: string]: DetailValue;
}

/** A role answered with a body that is no catalog code, described by a schema of the document. */
export interface BodyAnswer {
  status: number;
  /** Name of the schema under components/schemas in the service's document. */
  schema: string;
  /** Why the answer is no catalog code. */
  reason: string;
  /** The body as the service sends it: the named example the documents show. */
  example: unknown;
}

/**
 * The answer to one platform role: a catalog code (`http` or `body` surface), a code that stands
 * in for a role the catalog has no code of its own for (with why), or a body that is no code.
 */
export type RoleValue = string | { code: string; reason: string } | BodyAnswer;

/** What the platform detects itself, and what each catalog answers it with. */
export interface PlatformBlock {
  /** A request its document's schema refuses, by the JSON Schema keyword that failed. */
  validation: { default: RoleValue; [keyword: string]: RoleValue };
  /** A body that is not JSON. */
  malformedJson: RoleValue;
  /** A Content-Type the operation does not take. */
  mediaType: RoleValue;
  /** A body over the size limit. */
  bodyTooLarge: RoleValue;
  /** A path or method the document does not have. */
  unknownPath: RoleValue;
  /** The process is shutting down. */
  draining: RoleValue;
  /** The database cannot be reached. */
  databaseDown: RoleValue;
  /** Anything unexpected. */
  internal: RoleValue;
}

/** A role of the platform block. */
export type PlatformRole = keyof PlatformBlock;

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
  /** What answers what the platform detects itself (validation, unknown path, draining…). */
  platform: PlatformBlock;
  groups: readonly CatalogGroup[];
  errors: readonly CatalogEntry[];
}

/** One thing wrong with a catalog, at a JSON path inside the file. */
export interface CatalogProblem {
  message: string;
  path: (string | number)[];
}
