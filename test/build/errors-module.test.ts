import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parse } from 'yaml';
import type {
  ErrorDetails as BotAgentDetails,
  ErrorName as BotAgentName,
} from '../../generated/bot-agent/errors.ts';
import type {
  ErrorDetails as PodiDetails,
  ErrorName as PodiName,
} from '../../generated/podi/errors.ts';
import type {
  ErrorDetails,
  ErrorName,
  OperationErrors,
} from '../../generated/task-market/errors.ts';
import type { paths } from '../../generated/task-market/schema.d.ts';
import {
  type DocumentErrors,
  detailsType,
  errorsModule,
  operationErrorsType,
} from '../../src/build/errors-module.ts';
import { loadCatalog } from '../../src/catalog/load.js';
import type { CatalogEntry } from '../../src/catalog/types.d.ts';

describe('detailsType', () => {
  it.each<[string, Pick<CatalogEntry, 'details' | 'optionalDetails'>, string]>([
    ['no details', {}, 'Record<string, never>'],
    ['empty details', { details: {} }, 'Record<string, never>'],
    ['a string', { details: { task_id: 't_1' } }, '{ task_id: string }'],
    [
      'numbers and integers',
      { details: { limit: 600, ratio: 0.5 } },
      '{ limit: number; ratio: number }',
    ],
    ['a boolean', { details: { retry_able: false } }, '{ retry_able: boolean }'],
    ['an array by its first item', { details: { allowed: ['claimed'] } }, '{ allowed: string[] }'],
    ['an empty array as strings', { details: { allowed: [] } }, '{ allowed: string[] }'],
    ['an array of numbers', { details: { steps: [1, 2] } }, '{ steps: number[] }'],
    [
      'objects and arrays of objects, recursively',
      { details: { fields: [{ field: 'name', at: { line: 1 } }] } },
      '{ fields: { field: string; at: { line: number } }[] }',
    ],
    [
      'an array mixing scalars, by the union of its items',
      { details: { loc: ['body', 'messages', 0, 'content'] } },
      '{ loc: (string | number)[] }',
    ],
    [
      'arrays of objects, their keys merged, a key some items lack optional',
      {
        details: {
          errors: [
            { loc: ['body', 'nickname'], msg: 'too long', type: 'string_too_long' },
            { loc: ['query', 0], msg: 'missing', ctx: { limit: 1 } },
          ],
        },
      },
      '{ errors: { loc: (string | number)[]; msg: string; type?: string; ctx?: { limit: number } }[] }',
    ],
    [
      'a key whose values differ between items, by their union',
      { details: { fields: [{ at: 'name' }, { at: 3 }] } },
      '{ fields: { at: string | number }[] }',
    ],
    [
      'optional keys',
      { details: { service: 'openclaw', status: 502 }, optionalDetails: ['status'] },
      '{ service: string; status?: number }',
    ],
    [
      'keys that are not identifiers',
      { details: { 'retry-after': 1 } },
      "{ 'retry-after': number }",
    ],
  ])('types %s', (_case, entry, type) => {
    expect(detailsType(entry)).toBe(type);
  });
});

describe('operationErrorsType', () => {
  it.each([
    ['no paths', {}, ''],
    [
      "each method's x-errors, by path",
      {
        paths: {
          '/tasks/{taskId}': {
            get: { 'x-errors': ['TASK_NOT_FOUND', 'RATE_LIMITED'] },
            delete: { 'x-errors': ['TASK_NOT_FOUND'] },
          },
        },
      },
      "  '/tasks/{taskId}': {\n    get: 'TASK_NOT_FOUND' | 'RATE_LIMITED';\n    delete: 'TASK_NOT_FOUND';\n  };",
    ],
    [
      'no path item members that are not operations, no operation without x-errors',
      {
        paths: {
          '/points': {
            parameters: [{ name: 'x-errors' }],
            summary: 'Points',
            get: { responses: {} },
          },
          '/tasks': { post: { 'x-errors': ['COZE_HTTP_*'] } },
        },
      },
      "  '/tasks': {\n    post: 'COZE_HTTP_*';\n  };",
    ],
  ])('writes %s', (_case, document, type) => {
    expect(operationErrorsType(document)).toBe(type);
  });
});

describe('errorsModule', () => {
  const document = (service: string) =>
    parse(readFileSync(`generated/${service}/openapi.yaml`, 'utf8')) as DocumentErrors;
  const podi = errorsModule(
    loadCatalog('openapi/podi/errors.yaml'),
    document('podi'),
    'openapi/podi/errors.yaml',
  );

  it('quotes names with a dynamic suffix', () => {
    expect(podi).toContain("  'COZE_HTTP_*': Record<string, never>;");
  });

  it("types FastAPI's loc as strings and indices", () => {
    const divination = errorsModule(
      loadCatalog('openapi/divination/errors.yaml'),
      document('divination'),
      'openapi/divination/errors.yaml',
    );
    expect(divination).toContain(
      '  REQUEST_VALIDATION_ERROR: { errors: { loc: (string | number)[]; msg: string; type: string }[] };',
    );
  });

  // expectTypeOf asserts nothing under `vitest run`: the compiler checks it, in `npm run
  // typecheck` (which `npm test` runs).
  it('types every code of the catalog, and only those', () => {
    expectTypeOf<keyof ErrorDetails>().toEqualTypeOf<ErrorName>();
    expectTypeOf<keyof BotAgentDetails>().toEqualTypeOf<BotAgentName>();
    expectTypeOf<keyof PodiDetails>().toEqualTypeOf<PodiName>();
  });

  it('lists the codes of each operation of the document, keyed as `paths` is', () => {
    expectTypeOf<keyof OperationErrors>().toEqualTypeOf<keyof paths>();
    expectTypeOf<OperationErrors['/tasks/{taskId}/claim']['post']>().toEqualTypeOf<
      | 'INVALID_PARAMETER'
      | 'INVALID_FORMAT'
      | 'AUTH_REQUIRED'
      | 'TOKEN_INVALID'
      | 'TOKEN_EXPIRED'
      | 'SIGNATURE_INVALID'
      | 'CANNOT_CLAIM_OWN_TASK'
      | 'ACCOUNT_DISABLED'
      | 'TASK_NOT_FOUND'
      | 'TASK_ALREADY_CLAIMED'
      | 'ACTIVE_TASK_EXISTS'
      | 'TASK_STATE_INVALID'
      | 'TASK_EXPIRED'
      | 'RATE_LIMITED'
      | 'QUOTA_EXCEEDED'
      | 'INTERNAL_ERROR'
      | 'DATABASE_UNAVAILABLE'
      | 'SERVICE_UNAVAILABLE'
    >();
    expect(podi).toContain("  '/tasks/{taskId}': {\n    get: ");
  });

  it('gives task-market the details its server sends', () => {
    expectTypeOf<ErrorDetails['UPSTREAM_ERROR']>().toEqualTypeOf<{
      service: string;
      status?: number;
    }>();
    expectTypeOf<ErrorDetails['SIGNATURE_INVALID']>().toEqualTypeOf<{
      header: string;
      problem: string;
      tolerance_seconds?: number;
    }>();
    expectTypeOf<ErrorDetails['INTERNAL_ERROR']>().toEqualTypeOf<Record<string, never>>();
  });
});
