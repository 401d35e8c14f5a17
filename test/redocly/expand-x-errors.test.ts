import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtServices } from '../../src/build/services.ts';
import { errorBody, sampleRequestId } from '../../src/catalog/envelopes.js';
import { loadCatalog } from '../../src/catalog/load.js';
import type { BodyAnswer, Catalog } from '../../src/catalog/types.d.ts';
import { operationShape } from '../../src/redocly/operation-shape.js';

const methods = ['get', 'put', 'post', 'delete', 'patch'];

interface Media {
  schema?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Response {
  headers?: Record<string, { schema?: unknown }>;
  content?: Record<string, Media>;
}
interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, unknown> };
  'x-errors': string[];
  'x-error-field'?: { path: string };
  responses: Record<string, Response>;
}
type PathItem = Record<string, Operation | undefined>;

/** A built document, its catalog and its operations. */
function load(built: { document: string; catalog: string }) {
  const document = parse(readFileSync(built.document, 'utf8'));
  const catalog = loadCatalog(built.catalog);
  const operations = Object.entries<PathItem>(document.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method];
      return operation ? [{ path, method, operation }] : [];
    }),
  );
  return { document, catalog, operations };
}

/** Whether an error response's schema is the envelope `ref`, alone or a branch of a oneOf. */
function carries(schema: unknown, ref: string): boolean {
  const { $ref, oneOf } = (schema ?? {}) as { $ref?: string; oneOf?: { $ref?: string }[] };
  return $ref === ref || (oneOf ?? []).some((branch) => branch.$ref === ref);
}

/** Whether a catalog has http codes whose body carries `retry_after`. */
const retriesAfter = (catalog: Catalog) =>
  catalog.errors.some(
    (entry) => entry.surface === 'http' && typeof entry.details?.retry_after === 'number',
  );

describe.each(builtServices())('$document', (built) => {
  const { document, catalog, operations } = load(built);
  const basePath: string = document.servers[0].url;

  it('has a named example for every code an operation lists, with the exact body sent', () => {
    for (const { path, method, operation } of operations) {
      for (const name of operation['x-errors']) {
        const entry = catalog.errors.find((candidate) => candidate.name === name);
        expect(entry, `${method} ${path}: ${name} in the catalog`).toBeDefined();
        if (!entry) {
          continue;
        }
        const response = operation.responses[String(entry.status)];
        if (entry.surface === 'field') {
          const field = operation['x-error-field']?.path ?? '';
          const value = Object.values(response?.content ?? {})[0]?.examples?.[name]?.value;
          const carried = field
            .split('.')
            .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], value);
          expect(carried, `${method} ${path}: ${name} in ${field}`).toEqual(
            errorBody(catalog, entry),
          );
          continue;
        }
        const type = entry.surface === 'http' ? catalog.wire.contentType : 'application/json';
        const example = response?.content?.[type]?.examples?.[name];
        expect(example, `${method} ${path}: ${name} under ${entry.status}`).toBeDefined();
        expect(example?.value).toEqual(
          errorBody(catalog, entry, {
            details: entry.details,
            requestId: sampleRequestId,
            instance: basePath + path,
          }),
        );
        if (entry.surface === 'http') {
          const schema = response?.content?.[type]?.schema;
          expect(carries(schema, `#/components/schemas/${catalog.wire.schema}`), name).toBe(true);
        }
      }
    }
  });

  it('has a named example for each catalog code, under the catalog status only', () => {
    const statuses = new Map<string, Set<string>>();
    for (const { operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const media of Object.values(response.content ?? {})) {
          for (const name of Object.keys(media.examples ?? {})) {
            statuses.set(name, (statuses.get(name) ?? new Set()).add(status));
          }
        }
      }
    }
    for (const entry of catalog.errors) {
      expect([...(statuses.get(entry.name) ?? [])], entry.name).toEqual([String(entry.status)]);
    }
  });

  it('uses every catalog code in at least one operation', () => {
    const used = new Set(operations.flatMap(({ operation }) => operation['x-errors']));
    expect(catalog.errors.map((entry) => entry.name).filter((name) => !used.has(name))).toEqual([]);
  });

  it('sends Retry-After with every 429', () => {
    for (const { operation } of operations) {
      const tooMany = operation.responses['429'];
      if (tooMany) {
        expect(tooMany.headers?.['Retry-After']?.schema).toEqual({ type: 'integer', minimum: 0 });
      }
    }
  });

  it('documents no body of the platform but podi’s, which alone answers roles with one', () => {
    const names = operations.flatMap(({ operation }) =>
      Object.values(operation.responses).flatMap((response) =>
        Object.values(response.content ?? {}).flatMap((media) => Object.keys(media.examples ?? {})),
      ),
    );
    const platform = names.filter((name) => name.startsWith('PLATFORM_'));
    expect(platform.length > 0, platform.join(', ')).toBe(built.service === 'podi');
  });

  it("lists the catalog's codes as the enum of its error schema", () => {
    const schema = JSON.stringify(document.components.schemas[catalog.wire.schema]);
    for (const entry of catalog.errors.filter((e) => e.surface === 'http')) {
      expect(schema).toContain(JSON.stringify(entry.code ?? entry.name));
    }
  });

  it('spells each field code in the schemas marked to carry them, patterns included', () => {
    const carriers = schemasWhere(
      document.components.schemas,
      (schema) => schema['x-error-surface'] === 'field',
    );
    const fieldCodes = catalog.errors.filter((e) => e.surface === 'field');
    expect(carriers.length > 0).toBe(fieldCodes.length > 0);
    const spelled = new Set<string>();
    for (const carrier of carriers) {
      const groups = [carrier['x-error-group'] ?? []].flat();
      const schema = JSON.stringify(carrier);
      for (const entry of fieldCodes) {
        const code = JSON.stringify(entry.pattern ?? entry.name);
        if (groups.length === 0 || groups.includes(entry.group)) {
          expect(schema).toContain(code);
          spelled.add(entry.name);
        } else {
          expect(schema, `${entry.name} is outside ${groups.join(', ')}`).not.toContain(code);
        }
      }
    }
    expect(fieldCodes.filter((entry) => !spelled.has(entry.name))).toEqual([]);
  });
});

// podi answers what no handler raised in FastAPI's shapes, no catalog code: each operation
// documents each such body under its status, as a named example, where the role applies.
describe('podi’s answers that are no catalog code', () => {
  const built = builtServices().find((candidate) => candidate.service === 'podi');
  if (!built) {
    throw new Error('podi is built');
  }
  const { document, catalog, operations } = load(built);
  const platform = catalog.platform as unknown as Record<string, BodyAnswer> & {
    validation: { default: BodyAnswer };
  };
  const ref = (name: string) => `#/components/schemas/${name}`;
  const resolve = (node: { $ref: string }) => ({
    node: node.$ref
      .slice(2)
      .split('/')
      .reduce<Record<string, unknown>>(
        (parent, key) => parent[key] as Record<string, unknown>,
        document,
      ),
  });
  const shaped = operations.map((at) => ({
    ...at,
    shape: operationShape(at.operation, { resolve }),
  }));
  const example = (operation: Operation, status: number, name: string) => {
    const media = operation.responses[String(status)]?.content?.['application/json'];
    return { value: media?.examples?.[name]?.value, schema: media?.schema };
  };

  it('has operations with and without a JSON body, and GETs without one', () => {
    expect(shaped.some(({ shape }) => shape.json)).toBe(true);
    expect(shaped.some(({ shape }) => !shape.body)).toBe(true);
    expect(shaped.filter(({ method }) => method === 'get').every(({ shape }) => !shape.body)).toBe(
      true,
    );
  });

  it.each([
    [422, 'PLATFORM_VALIDATION_FAILED', 'HTTPValidationError', platform.validation.default],
    [500, 'PLATFORM_DATABASE_DOWN', 'HTTPStatusError', platform.databaseDown],
    [500, 'PLATFORM_INTERNAL_ERROR', 'HTTPStatusError', platform.internal],
    [503, 'PLATFORM_DRAINING', 'HTTPStatusError', platform.draining],
  ] as const)('documents %i %s on every operation', (status, name, schema, answer) => {
    for (const { method, path, operation } of operations) {
      const found = example(operation, status, name);
      expect(found.value, `${method} ${path}`).toEqual(answer?.example);
      expect(carries(found.schema, ref(schema)), `${method} ${path}`).toBe(true);
    }
  });

  it('keeps the catalog codes of a status it shares with a body (500), as a oneOf', () => {
    const shared = operations.filter(({ operation }) =>
      operation['x-errors'].includes('EXECUTOR_ADAPTER_MISSING'),
    );
    expect(shared.length).toBeGreaterThan(0);
    for (const { operation } of shared) {
      const { schema } = example(operation, 500, 'PLATFORM_INTERNAL_ERROR');
      expect(schema).toEqual({
        oneOf: [{ $ref: ref('HTTPError') }, { $ref: ref('HTTPStatusError') }],
      });
    }
  });

  it.each([
    [413, 'PLATFORM_BODY_TOO_LARGE', { detail: 'Request Entity Too Large' }, 'body'],
    [422, 'PLATFORM_UNSUPPORTED_MEDIA_TYPE', platform.mediaType?.example, 'body'],
    [422, 'PLATFORM_MALFORMED_JSON', platform.malformedJson?.example, 'json'],
  ] as const)('documents %i %s where there is a request body', (status, name, value, needs) => {
    for (const { method, path, operation, shape } of shaped) {
      const found = example(operation, status, name);
      expect(found.value, `${method} ${path}`).toEqual(shape[needs] ? value : undefined);
    }
  });

  it('documents no 413 on a GET', () => {
    for (const { method, path, operation } of operations.filter((at) => at.method === 'get')) {
      expect(operation.responses['413'], path).toBeUndefined();
      expect(example(operation, 422, 'PLATFORM_MALFORMED_JSON').value, `${method} ${path}`).toBe(
        undefined,
      );
    }
  });
});

// Only the services whose catalog has a code that carries retry_after: for the others the check
// would find nothing to check.
const retrying = builtServices().filter((built) => retriesAfter(loadCatalog(built.catalog)));

describe('Retry-After', () => {
  it('is checked on task-market at least', () => {
    expect(retrying.map((built) => built.service)).toContain('task-market');
  });

  it.each(retrying)(
    'is sent by $service with every code whose body carries retry_after',
    (built) => {
      const { catalog, operations } = load(built);
      let checked = 0;
      for (const { path, method, operation } of operations) {
        for (const name of operation['x-errors']) {
          const entry = catalog.errors.find((candidate) => candidate.name === name);
          if (entry?.surface === 'http' && typeof entry.details?.retry_after === 'number') {
            const headers = operation.responses[String(entry.status)]?.headers;
            expect(headers?.['Retry-After'], `${method} ${path}: ${name}`).toBeDefined();
            checked += 1;
          }
        }
      }
      expect(checked).toBeGreaterThan(0);
    },
  );
});

/** Every schema under `node`, nested ones included, that `test` accepts. */
function schemasWhere(
  node: unknown,
  test: (schema: Record<string, unknown>) => boolean,
): Record<string, unknown>[] {
  if (typeof node !== 'object' || node === null) {
    return [];
  }
  const here = Array.isArray(node) ? [] : [node as Record<string, unknown>].filter(test);
  return [...here, ...Object.values(node).flatMap((child) => schemasWhere(child, test))];
}
