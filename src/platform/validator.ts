import { readFileSync } from 'node:fs';
import * as OpenApiValidator from 'express-openapi-validator';
import { parse } from 'yaml';
import { strictFormats } from './formats.ts';

/** An OpenAPI document as parsed, for the parts the platform reads. */
export interface OpenApiDocument {
  servers: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  security?: Record<string, string[]>[];
  components?: {
    parameters?: Record<string, unknown>;
    /** `x-reads-body: true` marks a scheme that checks the body (a signature over it). */
    securitySchemes?: Record<string, { 'x-reads-body'?: boolean }>;
  };
}

const documents = new Map<string, OpenApiDocument>();
const validators = new Map<string, ReturnType<typeof OpenApiValidator.middleware>>();

/** A generated document, read once per process. */
export function readDocument(file: string): OpenApiDocument {
  let document = documents.get(file);
  if (!document) {
    document = parse(readFileSync(file, 'utf8')) as OpenApiDocument;
    documents.set(file, document);
  }
  return document;
}

/**
 * express-openapi-validator for one path of a document. The validator tries the paths it knows
 * one by one on every request, so each route gets one that knows only its own path, and the
 * components that path uses (it prepares every component it is given); each is built once per
 * process.
 */
export function pathValidator(file: string, path: string, validateResponses: boolean) {
  const key = `${file}#${path}#${validateResponses}`;
  let validator = validators.get(key);
  if (!validator) {
    const document = readDocument(file);
    const item = document.paths[path] ?? {};
    validator = OpenApiValidator.middleware({
      apiSpec: {
        ...document,
        paths: { [path]: item },
        components: usedComponents(document, [item, { ...document, paths: {}, components: {} }]),
      } as never,
      // `npm run build` lints every document; checking it again against the OpenAPI schema
      // would compile that schema once per path, most of a server's start-up.
      validateApiSpec: false,
      validateRequests: { allowUnknownQueryParameters: false },
      validateResponses,
      validateSecurity: false,
      validateFormats: true,
      ajvFormats: { mode: 'full' },
      formats: strictFormats,
      // Multipart bodies are read before, by uploadParser (src/platform/uploads.ts).
      fileUploader: false,
    });
    validators.set(key, validator);
  }
  return validator;
}

/**
 * The components `start` refers to, directly or through other components, by kind
 * (`schemas`, `parameters`…); every security scheme, which operations name without a `$ref`.
 * `start` holds the rest of the document too (`webhooks`), which the validator reads.
 */
function usedComponents(document: OpenApiDocument, start: unknown) {
  const all = (document.components ?? {}) as Record<string, Record<string, unknown>>;
  const used: Record<string, Record<string, unknown>> = {
    securitySchemes: all.securitySchemes ?? {},
  };
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (typeof value !== 'object' || value === null) {
      return;
    }
    for (const [key, inner] of Object.entries(value)) {
      const [, kind = '', name = ''] =
        key === '$ref' && typeof inner === 'string'
          ? (/^#\/components\/(\w+)\/(.+)$/.exec(inner) ?? [])
          : [];
      if (kind && !used[kind]?.[name]) {
        used[kind] = { ...used[kind], [name]: all[kind]?.[name] };
        visit(all[kind]?.[name]);
      }
      visit(inner);
    }
  };
  visit(start);
  return used;
}
