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
 * one by one on every request, so each route gets one that knows only its own path; and building
 * one dereferences the whole document, so each is built once per process.
 */
export function pathValidator(file: string, path: string, validateResponses: boolean) {
  const key = `${file}#${path}#${validateResponses}`;
  let validator = validators.get(key);
  if (!validator) {
    const document = readDocument(file);
    const item = document.paths[path] ?? {};
    validator = OpenApiValidator.middleware({
      apiSpec: { ...document, paths: { [path]: item } } as never,
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
