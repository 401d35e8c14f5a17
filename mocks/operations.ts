import { readDocument } from '../src/platform/validator.ts';
import type { SchemeShape } from './security.ts';

/** A JSON Schema as the bundled documents write them, `$ref`s to `#/components/…` included. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  minLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  contentMediaType?: string;
}

/** One documented answer: a named example, or a response that has none (its schema, then). */
export interface DocumentedAnswer {
  status: number;
  /** Absent for a response without a body (204). */
  contentType?: string;
  /** The example's name (`TASK_NOT_FOUND`, `submitted`); absent when the response has none. */
  name?: string;
  value?: unknown;
  schema?: Schema;
}

/** One operation of a bundled document, as the mock answers it. */
export interface MockOperation {
  operationId: string;
  method: string;
  /** As the document writes it: `/tasks/{taskId}`. */
  path: string;
  /** In the document's order of statuses, then examples. */
  answers: DocumentedAnswer[];
  /** The form fields that carry files, with how many each may carry. */
  fileFields: Record<string, number>;
}

/** A bundled document, read once: its operations, its security schemes, what resolves `$ref`s. */
export interface MockDocument {
  operations: MockOperation[];
  schemes: Record<string, SchemeShape>;
  resolve(schema: Schema): Schema;
}

interface DocumentShape {
  paths: Record<string, Record<string, OperationShape>>;
  components?: Record<string, Record<string, unknown>> & {
    securitySchemes?: Record<string, SchemeShape>;
  };
}

interface OperationShape {
  operationId: string;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, MediaShape> }>;
}

interface MediaShape {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

const methods = new Set(['get', 'put', 'post', 'delete', 'patch']);

/** What the mock needs of generated/<service>/openapi.yaml. */
export function readMockDocument(file: string): MockDocument {
  // The platform's copy, read once for the service's app too.
  const document = readDocument(file) as unknown as DocumentShape;
  const resolve = (schema: Schema): Schema => {
    const [, kind = '', name = ''] = /^#\/components\/(\w+)\/(.+)$/.exec(schema.$ref ?? '') ?? [];
    return schema.$ref ? resolve((document.components?.[kind]?.[name] ?? {}) as Schema) : schema;
  };
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => methods.has(method))
      .map(([method, operation]) => ({
        operationId: operation.operationId,
        method,
        path,
        answers: documentedAnswers(operation),
        fileFields: fileFields(operation, resolve),
      })),
  );
  return { operations, schemes: document.components?.securitySchemes ?? {}, resolve };
}

function documentedAnswers(operation: OperationShape): DocumentedAnswer[] {
  return Object.entries(operation.responses ?? {}).flatMap(([code, response]) => {
    const status = Number(code);
    const contents = Object.entries(response.content ?? {});
    if (contents.length === 0) {
      return [{ status }];
    }
    return contents.flatMap(([contentType, media]): DocumentedAnswer[] => {
      const { schema } = media;
      const named = Object.entries(media.examples ?? {}).map(([name, example]) => ({
        status,
        contentType,
        name,
        value: example.value,
        schema,
      }));
      if (named.length > 0) {
        return named;
      }
      return [
        {
          status,
          contentType,
          schema,
          ...(media.example !== undefined && { value: media.example }),
        },
      ];
    });
  });
}

/** The multipart fields whose schema is a file (`contentMediaType`, `format: binary`). */
function fileFields(operation: OperationShape, resolve: (schema: Schema) => Schema) {
  const form = operation.requestBody?.content?.['multipart/form-data']?.schema;
  const properties = form ? (resolve(form).properties ?? {}) : {};
  const isFile = (schema: Schema) =>
    schema.contentMediaType !== undefined || schema.format === 'binary';
  const fields: Record<string, number> = {};
  for (const [name, property] of Object.entries(properties)) {
    const schema = resolve(property);
    if (isFile(schema)) {
      fields[name] = 1;
    } else if (schema.type === 'array' && schema.items && isFile(resolve(schema.items))) {
      fields[name] = schema.maxItems ?? 10;
    }
  }
  return fields;
}
