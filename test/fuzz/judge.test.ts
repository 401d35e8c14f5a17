import { describe, expect, it } from 'vitest';
import { entryOfCode, exampleBody } from '../../src/catalog/envelopes.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { loadDocument } from '../support/documents.ts';
import { undocumented } from '../support/fuzz.ts';

const documents = new Map<string, ReturnType<typeof loadDocument>>();
const documentOf = (service: string) => {
  const document = documents.get(service) ?? loadDocument(service);
  documents.set(service, document);
  return document;
};

/** What the fuzz run finds undocumented about one answer of a service. */
function judged(service: string, method: string, path: string, status: number, body: unknown) {
  const document = documentOf(service);
  const catalog = loadCatalog(`openapi/${service}/errors.yaml`);
  const request = { method, path: `${document.basePath}${path}`, headers: {} };
  const answer = { status, contentType: 'application/json', text: JSON.stringify(body) };
  return undocumented(document, catalog, request, answer);
}

/** A service's error body for a catalog code, as the service sends it. */
function errorOf(service: string, code: string): unknown {
  const catalog = loadCatalog(`openapi/${service}/errors.yaml`);
  const entry = entryOfCode(catalog, code);
  if (!entry) {
    throw new Error(`${service} has no code ${code}`);
  }
  return exampleBody(catalog, entry);
}

const task = '/tasks/660e8400-e29b-41d4-a716-446655440002';

describe('undocumented', () => {
  it.each([
    [
      'the unknown-path answer to a path a URL parser empties',
      '/tasks/..',
      404,
      'RESOURCE_NOT_FOUND',
    ],
    ['the unknown-path answer to an encoded dot-dot', '/tasks/%2e%2e', 404, 'RESOURCE_NOT_FOUND'],
    ["the raw path's operation's answer", '/tasks/%2e%2e', 400, 'INVALID_FORMAT'],
    ['the unknown-path answer to a trailing slash', `${task}/`, 404, 'RESOURCE_NOT_FOUND'],
  ])('accepts %s', (_, path, status, code) => {
    expect(judged('task-market', 'GET', path, status, errorOf('task-market', code))).toEqual([]);
  });

  it.each([
    ['a code the operation does not list', task, 404, 'AGENT_NOT_FOUND', /not in x-errors/],
    ['a 5xx, even a documented one', task, 500, 'INTERNAL_ERROR', /a 500/],
    [
      'an answer to no path but the unknown-path one',
      `${task}/`,
      400,
      'INVALID_FORMAT',
      /unknown path/,
    ],
  ])('refuses %s', (_, path, status, code, problem) => {
    const problems = judged('task-market', 'GET', path, status, errorOf('task-market', code));
    expect(problems.join('; ')).toMatch(problem);
  });

  it('reads no error code in a 2xx resource that has an error field', () => {
    const { value } = documentOf('bot-agent').example('getExecution', 'failed');
    expect(value).toMatchObject({ error: { code: 'WORKFLOW_STEP_FAILED' } });
    expect(judged('bot-agent', 'GET', '/executions/exec_001', 200, value)).toEqual([]);
  });

  it('reads the error code of a 2xx where the catalog puts codes in the body', () => {
    const document = documentOf('workflow-cloud');
    const { status, value } = document.example('createTask', 'WORKFLOW_NOT_EXISTS');
    const getTaskStatus = document.operations.find((item) => item.operationId === 'getTaskStatus');
    expect(getTaskStatus?.errors).not.toContain('WORKFLOW_NOT_EXISTS');
    const problems = judged('workflow-cloud', 'POST', getTaskStatus?.path ?? '', status, value);
    expect(problems).toContain('code WORKFLOW_NOT_EXISTS is not in x-errors');
  });
});
