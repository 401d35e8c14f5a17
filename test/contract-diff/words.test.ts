import { describe, expect, it } from 'vitest';
import { diffService, type Snapshot } from '../../src/contract-diff/diff.ts';
import { describe as describeChange } from '../../src/contract-diff/rules.ts';
import { answers, catalog, object, post, ref, sends } from './fixtures.ts';

const sentences = (before: Snapshot, after: Snapshot) =>
  diffService('demo', before, after).changes.map((change) => {
    const { text, rule } = describeChange(change);
    return `${text} [${rule}]`;
  });

const string = { type: 'string' };

describe('the changes in words', () => {
  it('name the operation and the code, with its wire code from the catalog', () => {
    const before = { ...post({ 'x-errors': ['TASK_NOT_FOUND'] }), ...catalog() };
    const after = { ...post({ 'x-errors': [] }), ...catalog() };
    expect(sentences(before, after)).toEqual([
      'POST /tasks no longer lists error TASK_NOT_FOUND (807) [removed error code]',
    ]);
    expect(sentences(after, before)).toEqual([
      'POST /tasks may now answer error TASK_NOT_FOUND (807) [new error code]',
    ]);
  });

  it('name a code without a wire code by its status', () => {
    const before = { ...post({ 'x-errors': ['TASK_NOT_FOUND'] }), ...catalog({ code: undefined }) };
    const after = { ...post({}), ...catalog({ code: undefined }) };
    expect(sentences(before, after)).toEqual([
      'POST /tasks no longer lists error TASK_NOT_FOUND (HTTP 404) [removed error code]',
    ]);
  });

  it('follow refs into a union of answers, naming the form a field belongs to', () => {
    const schemas = (statuses: string[], data: object) => ({
      Answer: { oneOf: [ref('Result'), ref('ErrorEnvelope')] },
      Result: object({ data: ref('TaskStatus') }),
      TaskStatus: { type: 'string', enum: statuses },
      ErrorEnvelope: object({ code: { type: 'integer' }, data }),
    });
    const before = schemas(['QUEUED'], { type: 'null' });
    const after = schemas(['QUEUED', 'CANCELLED'], {
      oneOf: [{ type: 'null' }, object({ promptTips: string })],
    });
    expect(sentences(answers(ref('Answer'), before), answers(ref('Answer'), after))).toEqual([
      'POST /tasks: `Result.data` of the 200 response may now be CANCELLED [response enum extended]',
      'POST /tasks: `ErrorEnvelope.data` of the 200 response may now be null or object (was null) [response type widened]',
    ]);
  });

  it('merge allOf, and compare a recursive schema once', () => {
    const schemas = (extra: object) => ({
      Node: { allOf: [ref('Base'), object({ children: { type: 'array', items: ref('Node') } })] },
      Base: object({ id: string, ...extra }),
    });
    expect(
      sentences(sends(ref('Node'), schemas({})), sends(ref('Node'), schemas({ name: string }))),
    ).toEqual([
      'POST /tasks: `name` of the request body is new and optional [new optional request field]',
    ]);
  });

  it('compare the parameters of the path with those of the operation, headers by any case', () => {
    const path = (required: boolean, header: string): Snapshot => ({
      document: {
        paths: {
          '/tasks/{id}': {
            parameters: [{ name: 'id', in: 'path', required: true, schema: string }],
            get: {
              parameters: [{ name: header, in: 'header', required, schema: string }],
            },
          },
        },
      },
    });
    expect(sentences(path(false, 'X-Trace'), path(true, 'x-trace'))).toEqual([
      'GET /tasks/{id}: the header parameter `x-trace` is now required [parameter now required]',
    ]);
  });

  it('compare the events of a stream', () => {
    const stream = (types: string[]) =>
      post({
        responses: {
          '200': {
            content: {
              'text/event-stream': {
                schema: {
                  type: 'string',
                  'x-event-schema': {
                    oneOf: types.map((type) => object({ type: { const: type } })),
                  },
                },
              },
            },
          },
        },
      });
    expect(sentences(stream(['RUN_STARTED']), stream(['RUN_STARTED', 'RUN_ERROR']))).toEqual([
      'POST /tasks: the 200 response (text/event-stream) events may now be the type=RUN_ERROR form [response variant added]',
    ]);
  });

  it('say what changed in the catalog', () => {
    expect(sentences(catalog(), catalog({ code: 808, retryable: true }))).toEqual([
      'TASK_NOT_FOUND is now sent as code 808 (was 807) [wire code changed]',
      'TASK_NOT_FOUND (808) is now retryable (was not retryable) [retry advice changed]',
    ]);
  });
});
