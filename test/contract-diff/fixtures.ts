import type { Catalog, CatalogEntry } from '../../src/catalog/types.d.ts';
import type { Snapshot } from '../../src/contract-diff/diff.ts';
import type { Node } from '../../src/contract-diff/document.ts';

// Small inline documents and catalogs: one operation, `POST /tasks`, and the schemas it names.

/** A document with `POST /tasks` as `operation`, and `schemas` under components. */
export function post(operation: Node, schemas: Node = {}): Snapshot {
  return {
    document: {
      openapi: '3.1.0',
      info: { title: 'Demo', version: '1.0.0' },
      paths: { '/tasks': { post: operation } },
      components: { schemas },
    },
  };
}

/** `POST /tasks` taking a required JSON body of `schema`. */
export const sends = (schema: unknown, schemas: Node = {}) =>
  post({ requestBody: { required: true, content: { 'application/json': { schema } } } }, schemas);

/** `POST /tasks` answering 200 with a JSON body of `schema`. */
export const answers = (schema: unknown, schemas: Node = {}) =>
  post(
    { responses: { '200': { description: 'OK', content: { 'application/json': { schema } } } } },
    schemas,
  );

export const object = (properties: Node, required: string[] = [], closed = false) => ({
  type: 'object',
  properties,
  required,
  ...(closed ? { additionalProperties: false } : {}),
});

export const query = (name: string, required = false) => ({
  name,
  in: 'query',
  required,
  schema: { type: 'integer' },
});

/** The media types a body or a response comes in, each with the same schema. */
export const media = (...types: string[]) =>
  Object.fromEntries(types.map((type) => [type, { schema: { type: 'string' } }]));

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const notFound: CatalogEntry = {
  name: 'TASK_NOT_FOUND',
  code: 807,
  status: 404,
  group: 'task',
  surface: 'http',
  message: { zh: '任务不存在', en: 'The task does not exist' },
  retryable: false,
};

/** A catalog whose one code is TASK_NOT_FOUND (807), changed by `entry` and `wire`. */
export function catalog(
  entry: Partial<CatalogEntry> = {},
  wire: Partial<Catalog['wire']> = {},
): Snapshot {
  return {
    catalog: {
      service: 'demo',
      title: { zh: '演示', en: 'Demo' },
      wire: { language: 'zh', contentType: 'application/json', schema: 'Error', ...wire },
      platform: {
        validation: { default: 'TASK_NOT_FOUND' },
        malformedJson: 'TASK_NOT_FOUND',
        mediaType: 'TASK_NOT_FOUND',
        bodyTooLarge: 'TASK_NOT_FOUND',
        unknownPath: 'TASK_NOT_FOUND',
        draining: 'TASK_NOT_FOUND',
        databaseDown: 'TASK_NOT_FOUND',
        internal: 'TASK_NOT_FOUND',
      },
      groups: [{ id: 'task', title: { zh: '任务', en: 'Tasks' } }],
      errors: [{ ...notFound, ...entry }],
    },
  };
}

/** The catalog with no code at all. */
export const emptyCatalog = (): Snapshot => {
  const { catalog: full } = catalog();
  return { catalog: full && { ...full, errors: [] } };
};
