import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { readApis } from '../../src/build/apis.ts';

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** One documented (operation, error code) pair. */
export interface Pair {
  operationId: string;
  method: string;
  path: string;
  code: string;
}

interface Operation {
  operationId: string;
  'x-errors'?: string[];
  responses: Record<string, { content?: Record<string, { schema?: object }> }>;
}

/** A generated document with what contract tests need from it. */
export interface ContractDocument {
  service: string;
  basePath: string;
  pairs: Pair[];
  /** Checks a body against the schema documented for that status and content type. */
  validate(operationId: string, status: number, contentType: string, body: unknown): string[];
}

/** The services whose document has been built, so later documents are covered with no new code. */
export function documentedServices(): string[] {
  return readApis('.')
    .filter((api) => api.exists)
    .map((api) => api.service);
}

export function loadDocument(service: string): ContractDocument {
  const document = parse(readFileSync(`generated/${service}/openapi.yaml`, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: 'doc' });

  const operations = new Map<string, { method: string; path: string; operation: Operation }>();
  for (const [path, item] of Object.entries<Record<string, Operation>>(document.paths)) {
    for (const method of methods) {
      const operation = item[method];
      if (operation) {
        operations.set(operation.operationId, { method, path, operation });
      }
    }
  }
  const pairs = [...operations.values()].flatMap(({ method, path, operation }) =>
    (operation['x-errors'] ?? []).map((code) => ({
      operationId: operation.operationId,
      method,
      path,
      code,
    })),
  );

  return {
    service,
    basePath: document.servers[0].url,
    pairs,
    validate(operationId, status, contentType, body) {
      const found = operations.get(operationId);
      const responses = found?.operation.responses ?? {};
      const response = responses[String(status)];
      const type = contentType.split(';')[0]?.trim() ?? '';
      if (!response?.content?.[type]) {
        return [`${operationId} documents no ${status} ${type} response`];
      }
      const pointer = [
        'paths',
        found?.path,
        found?.method,
        'responses',
        String(status),
        'content',
        type,
        'schema',
      ]
        .map((part) => String(part).replaceAll('~', '~0').replaceAll('/', '~1'))
        .join('/');
      const check = ajv.getSchema(`doc#/${pointer}`);
      if (!check) {
        return [`no schema at ${pointer}`];
      }
      return check(body)
        ? []
        : (check.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
    },
  };
}
