import { describe, expect, it } from 'vitest';
import { readMockDocument } from '../../mocks/operations.ts';
import { matchOf, sampleOf } from '../../mocks/sample.ts';
import { builtServices } from '../../src/build/services.ts';
import { loadDocument } from '../support/documents.ts';

// `Prefer: dynamic=true` answers a body made from the schema alone: every response schema of
// every document makes a body that schema accepts.

describe.each(builtServices())('$service: a body made from a response schema', (built) => {
  const document = loadDocument(built.service);
  const { operations, resolve } = readMockDocument(built.document);
  // One case per response: its examples share its schema.
  const responses = operations.flatMap((operation) => {
    const seen = new Set<string>();
    return operation.answers.flatMap(({ status, contentType, schema }) => {
      const key = `${status} ${contentType}`;
      if (!contentType?.includes('json') || !schema || seen.has(key)) {
        return [];
      }
      seen.add(key);
      return [{ operationId: operation.operationId, status, contentType, schema }];
    });
  });

  it.each(responses)('$operationId $status fits its schema', (response) => {
    const body = sampleOf(response.schema, resolve);
    const { operationId, status, contentType } = response;
    expect(document.validate(operationId, status, contentType, body)).toEqual([]);
  });
});

describe('the shortest match of a pattern', () => {
  it.each([
    ['^req_[0-9a-f-]{36}$', `req_${'0'.repeat(36)}`],
    ['^[a-z]+_[A-Za-z0-9_]+$', 'a_A'],
    ['^\\+[1-9][0-9]{6,14}$', '+1000000'],
    ['^[\\x21-\\x7E]+$', '!'],
    ['^ERR\\|Q2001\\|.+$', 'ERR|Q2001|a'],
    ['^COZE_HTTP_\\d{3}$', 'COZE_HTTP_000'],
    ['^(a|b)$', undefined],
  ])('%s → %s', (pattern, expected) => {
    expect(matchOf(pattern)).toBe(expected);
  });
});
