import { describe, expect, it } from 'vitest';
import { diffService, type Snapshot } from '../../src/contract-diff/diff.ts';
import {
  type Class,
  describe as describeChange,
  type Kind,
  rules,
} from '../../src/contract-diff/rules.ts';
import {
  answers,
  catalog,
  emptyCatalog,
  media,
  object,
  post,
  query,
  ref,
  sends,
} from './fixtures.ts';

const string = { type: 'string' };
const status = (...values: string[]) => ({ TaskStatus: { type: 'string', enum: values } });
const union = (...names: string[]) => ({ oneOf: names.map(ref) });
const forms = {
  Result: object({ data: string }, ['data']),
  Failure: object({ code: { type: 'integer' } }, ['code']),
  Pending: object({ eta: { type: 'integer' } }, ['eta']),
};
const shaped = (kind: string) => object({ kind: { const: kind }, size: { type: 'integer' } });
const taskEnded = { webhooks: { taskEnded: { post: {} } } };

// Each kind of change: a pair of small contracts that differ by it alone, and its class as a
// client built against the first one meets the second.
const table: [Kind, Class, Snapshot, Snapshot][] = [
  ['operation-removed', 'breaking', post({}), { document: { paths: {} } }],
  ['operation-added', 'safe', { document: { paths: {} } }, post({})],
  ['operation-deprecated', 'warning', post({}), post({ deprecated: true })],
  ['webhook-removed', 'breaking', { document: taskEnded }, { document: { webhooks: {} } }],
  ['webhook-added', 'safe', { document: {} }, { document: taskEnded }],
  ['parameter-removed', 'warning', post({ parameters: [query('limit')] }), post({})],
  ['parameter-added-required', 'breaking', post({}), post({ parameters: [query('page', true)] })],
  ['parameter-added', 'safe', post({}), post({ parameters: [query('limit')] })],
  [
    'parameter-became-required',
    'breaking',
    post({ parameters: [query('page')] }),
    post({ parameters: [query('page', true)] }),
  ],
  [
    'parameter-became-optional',
    'safe',
    post({ parameters: [query('page', true)] }),
    post({ parameters: [query('page')] }),
  ],
  ['request-body-became-required', 'breaking', post({}), sends(object({}))],
  [
    'request-body-became-optional',
    'safe',
    sends(object({})),
    post({ requestBody: { content: { 'application/json': { schema: object({}) } } } }),
  ],
  ['request-body-removed', 'warning', sends(object({})), post({})],
  [
    'request-media-type-removed',
    'breaking',
    post({ requestBody: { content: media('application/json', 'multipart/form-data') } }),
    post({ requestBody: { content: media('application/json') } }),
  ],
  [
    'request-media-type-added',
    'safe',
    post({ requestBody: { content: media('application/json') } }),
    post({ requestBody: { content: media('application/json', 'multipart/form-data') } }),
  ],
  [
    'request-property-removed',
    'warning',
    sends(object({ a: string, b: string })),
    sends(object({ a: string })),
  ],
  [
    'request-property-refused',
    'breaking',
    sends(object({ a: string, b: string }, [], true)),
    sends(object({ a: string }, [], true)),
  ],
  [
    'request-property-added-required',
    'breaking',
    sends(object({ a: string })),
    sends(object({ a: string, b: string }, ['b'])),
  ],
  [
    'request-property-added',
    'safe',
    sends(object({ a: string })),
    sends(object({ a: string, b: string })),
  ],
  [
    'request-property-became-required',
    'breaking',
    sends(object({ a: string })),
    sends(object({ a: string }, ['a'])),
  ],
  [
    'request-property-became-optional',
    'safe',
    sends(object({ a: string }, ['a'])),
    sends(object({ a: string })),
  ],
  [
    'request-closed',
    'breaking',
    sends(object({ a: string })),
    sends(object({ a: string }, [], true)),
  ],
  ['request-type-narrowed', 'breaking', sends({ type: ['string', 'integer'] }), sends(string)],
  ['request-type-widened', 'safe', sends({ type: 'integer' }), sends({ type: 'number' })],
  ['type-changed', 'breaking', sends(string), sends({ type: 'integer' })],
  ['type-changed', 'breaking', answers({ type: 'integer' }), answers({ type: 'boolean' })],
  [
    'request-enum-narrowed',
    'breaking',
    sends(ref('TaskStatus'), status('QUEUED', 'RUNNING')),
    sends(ref('TaskStatus'), status('QUEUED')),
  ],
  ['request-enum-extended', 'safe', sends({ enum: ['plus'] }), sends({ enum: ['plus', 'basic'] })],
  ['request-format-changed', 'breaking', sends(string), sends({ type: 'string', format: 'uri' })],
  ['request-format-removed', 'safe', sends({ type: 'string', format: 'uri' }), sends(string)],
  [
    'request-constraint-tightened',
    'breaking',
    sends({ type: 'string', maxLength: 64 }),
    sends({ type: 'string', maxLength: 32 }),
  ],
  [
    'request-constraint-loosened',
    'safe',
    sends({ type: 'integer', minimum: 1 }),
    sends({ type: 'integer' }),
  ],
  [
    'request-pattern-changed',
    'warning',
    sends({ type: 'string', pattern: '^[0-9]{15,20}$' }),
    sends({ type: 'string', pattern: '^[0-9]{10,20}$' }),
  ],
  [
    'request-variant-removed',
    'breaking',
    sends({ oneOf: [shaped('one'), shaped('many')] }),
    sends({ oneOf: [shaped('one')] }),
  ],
  [
    'request-variant-added',
    'safe',
    sends({ oneOf: [shaped('one')] }),
    sends({ oneOf: [shaped('one'), shaped('many')] }),
  ],
  [
    'response-property-removed',
    'breaking',
    answers(object({ id: string, name: string })),
    answers(object({ id: string })),
  ],
  [
    'response-property-added',
    'safe',
    answers(object({ id: string })),
    answers(object({ id: string, name: string })),
  ],
  [
    'response-property-became-optional',
    'breaking',
    answers(object({ id: string }, ['id'])),
    answers(object({ id: string })),
  ],
  [
    'response-property-became-required',
    'safe',
    answers(object({ id: string })),
    answers(object({ id: string }, ['id'])),
  ],
  [
    'response-type-widened',
    'warning',
    answers(object({ data: { type: 'null' } })),
    answers(object({ data: { oneOf: [{ type: 'null' }, object({ promptTips: string })] } })),
  ],
  ['response-type-narrowed', 'safe', answers({ type: ['string', 'null'] }), answers(string)],
  [
    'response-enum-extended',
    'warning',
    answers(ref('TaskStatus'), status('QUEUED', 'RUNNING')),
    answers(ref('TaskStatus'), status('QUEUED', 'RUNNING', 'CANCELLED')),
  ],
  [
    'response-enum-narrowed',
    'safe',
    answers(ref('TaskStatus'), status('QUEUED', 'RUNNING')),
    answers(ref('TaskStatus'), status('QUEUED')),
  ],
  [
    'response-format-changed',
    'breaking',
    answers({ type: 'string', format: 'date-time' }),
    answers({ type: 'string', format: 'date' }),
  ],
  ['response-format-added', 'safe', answers(string), answers({ type: 'string', format: 'uuid' })],
  [
    'response-variant-added',
    'warning',
    answers(union('Result', 'Failure'), forms),
    answers(union('Result', 'Failure', 'Pending'), forms),
  ],
  [
    'response-variant-removed',
    'safe',
    answers(union('Result', 'Failure', 'Pending'), forms),
    answers(union('Result', 'Failure'), forms),
  ],
  [
    'response-status-removed',
    'breaking',
    post({ responses: { '200': {}, '404': {} } }),
    post({ responses: { '200': {} } }),
  ],
  [
    'response-status-added',
    'warning',
    post({ responses: { '200': {} } }),
    post({ responses: { '200': {}, '429': {} } }),
  ],
  [
    'response-media-type-removed',
    'breaking',
    post({ responses: { '200': { content: media('application/json', 'text/event-stream') } } }),
    post({ responses: { '200': { content: media('application/json') } } }),
  ],
  [
    'response-media-type-added',
    'warning',
    post({ responses: { '200': { content: media('application/json') } } }),
    post({ responses: { '200': { content: media('application/json', 'text/event-stream') } } }),
  ],
  [
    'error-code-removed',
    'breaking',
    post({ 'x-errors': ['TASK_NOT_FOUND', 'UNKNOWN_ERROR'] }),
    post({ 'x-errors': ['UNKNOWN_ERROR'] }),
  ],
  [
    'error-code-added',
    'warning',
    post({ 'x-errors': [] }),
    post({ 'x-errors': ['TASK_NOT_FOUND'] }),
  ],
  ['catalog-code-removed', 'breaking', catalog(), emptyCatalog()],
  ['catalog-code-added', 'safe', emptyCatalog(), catalog()],
  ['wire-code-changed', 'breaking', catalog(), catalog({ code: 808 })],
  ['status-changed', 'breaking', catalog(), catalog({ status: 410 })],
  ['surface-changed', 'breaking', catalog(), catalog({ surface: 'body' })],
  [
    'detail-removed',
    'breaking',
    catalog({ details: { taskId: '1887952812474667009' } }),
    catalog(),
  ],
  ['detail-added', 'safe', catalog(), catalog({ details: { promptTips: '{}' } })],
  ['retryable-changed', 'warning', catalog(), catalog({ retryable: true })],
  [
    'sent-message-changed',
    'warning',
    catalog(),
    catalog({ message: { zh: '任务未找到', en: 'The task does not exist' } }),
  ],
  [
    'message-changed',
    'safe',
    catalog(),
    catalog({ message: { zh: '任务不存在', en: 'No such task' } }),
  ],
  [
    'error-envelope-changed',
    'breaking',
    catalog(),
    catalog({}, { contentType: 'application/problem+json' }),
  ],
  ['wire-language-changed', 'warning', catalog(), catalog({}, { language: 'en' })],
];

describe('the rules', () => {
  it.each(table)('%s is %s', (kind, expected, before, after) => {
    const { changes } = diffService('demo', before, after);
    expect(changes.map((change) => [change.kind, describeChange(change).class])).toEqual([
      [kind, expected],
    ]);
  });

  it('have a fixture each, breaking, warning and safe alike', () => {
    expect(new Set(table.map(([kind]) => kind))).toEqual(new Set(Object.keys(rules)));
    expect(new Set(table.map(([, group]) => group))).toEqual(
      new Set(['breaking', 'warning', 'safe']),
    );
  });

  it('find nothing between a contract and itself', () => {
    for (const [, , before, after] of table) {
      expect(diffService('demo', before, before).changes).toEqual([]);
      expect(diffService('demo', after, after).changes).toEqual([]);
    }
  });
});
