import { describe, expect, it } from 'vitest';
import { builtServices } from '../../src/build/services.ts';
import { entryOfCode, errorBody, identifyError } from '../../src/catalog/envelopes.js';
import { loadCatalog } from '../../src/catalog/load.js';
import type { Catalog, CatalogEntry } from '../../src/catalog/types.d.ts';

const catalogs = builtServices().map((built) => loadCatalog(built.catalog));

/** The catalog of a built service; a service that is not built fails the test that asks. */
function catalogOf(service: string): Catalog {
  const catalog = catalogs.find((candidate) => candidate.service === service);
  if (!catalog) {
    throw new Error(`${service} is not built: run npm run build`);
  }
  return catalog;
}

describe.each(catalogs.map((catalog) => [catalog.service, catalog] as const))(
  '%s',
  (_, catalog) => {
    it.each(catalog.errors.map((entry) => [entry.name, entry] as const))(
      '%s reads back from what it sends',
      (_name, entry) => {
        const sent = errorBody(catalog, entry, { details: { retry_after: 30 } });
        const read =
          entry.surface === 'field'
            ? entryOfCode(catalog, sent)
            : identifyError(catalog, sent)?.entry;
        expect(read?.name).toBe(entry.name);
      },
    );
  },
);

describe('identifyError', () => {
  it.each([
    ['task-market', { code: 40401, message: '任务不存在', request_id: 'r' }, 'TASK_NOT_FOUND'],
    ['workflow-cloud', { code: 0, msg: 'success', data: 'RUNNING' }, undefined],
    ['workflow-cloud', { code: 423, msg: 'TASK_NOT_FOUNED', data: null }, 'TASK_NOT_FOUNED'],
    ['podi', { detail: 'TASK_NOT_FOUND' }, 'TASK_NOT_FOUND'],
    ['podi', { detail: [{ loc: ['body'], msg: 'field required' }] }, undefined],
    ['podi', { taskId: 'tk_01JD8A4M2Q' }, undefined],
  ])('reads a %s body %j as %s', (service, body, name) => {
    expect(identifyError(catalogOf(service), body)?.entry.name).toBe(name);
  });

  it('keeps the details the envelope carries', () => {
    const catalog = catalogOf('task-market');
    const entry = catalog.errors.find((candidate) => candidate.retryable);
    if (!entry) {
      throw new Error('task-market has a retryable code');
    }
    const body = errorBody(catalog, entry, { details: { retry_after: 30 } });
    expect(identifyError(catalog, body)?.details).toEqual({ retry_after: 30 });
  });
});

describe('entryOfCode', () => {
  it.each([
    ['ERR|Q1001|ComfyUI 队列已满', 'Q1001'],
    ['COZE_HTTP_429', 'COZE_HTTP_*'],
    ['COZE_RUN_CANCELED', 'COZE_RUN_*'],
    ['TASK_TIMEOUT', 'TASK_TIMEOUT'],
    ['tk_01JD8A4M2Q', undefined],
    ['COZE_HTTP_', undefined],
  ])('finds %s as %s', (code, name) => {
    expect(entryOfCode(catalogOf('podi'), code)?.name).toBe(name);
  });

  it('prefers the code of that name to a pattern written before it that also matches', () => {
    const entry = (name: string, pattern?: string): CatalogEntry => ({
      name,
      pattern,
      status: 502,
      group: 'coze',
      surface: 'http',
      message: { zh: name, en: name },
      retryable: false,
    });
    const catalog = {
      ...catalogOf('podi'),
      errors: [entry('COZE_RUN_*', '^COZE_RUN_[A-Z_]+$'), entry('COZE_RUN_FAILED')],
    };
    expect(entryOfCode(catalog, 'COZE_RUN_FAILED')?.name).toBe('COZE_RUN_FAILED');
    expect(entryOfCode(catalog, 'COZE_RUN_CANCELED')?.name).toBe('COZE_RUN_*');
  });
});
