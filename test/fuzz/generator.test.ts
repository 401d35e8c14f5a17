import { readdirSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { loadDocument } from '../support/documents.ts';
import { afterAuth, buildRequest, type FuzzRequest } from '../support/fuzz.ts';
import {
  type FuzzCase,
  type FuzzOperation,
  formatValid,
  generateCases,
  Random,
  readFuzzDocument,
  type Schema,
} from '../support/fuzz-cases.ts';

const document = readFuzzDocument('task-market');
const contract = loadDocument('task-market');
const operations = new Map(
  document.operations.map((operation) => [operation.operationId, operation]),
);
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

/** The keywords a kind of case must fail on. */
const keywords: Partial<Record<FuzzCase['kind'], string[]>> = {
  'missing-field': ['required'],
  'wrong-type': ['type'],
  'out-of-range': ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  'too-long': ['maxLength'],
  'too-short': ['minLength'],
  'bad-enum': ['enum'],
  'bad-format': ['format'],
  'unknown-field': ['additionalProperties'],
};

function schemaErrors(schema: Schema, value: unknown): ErrorObject[] {
  const validate = ajv.compile(schema);
  return validate(value) ? [] : (validate.errors ?? []);
}

/** The field an ajv error is about: the property it names, or where it points. */
function fieldOf(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  return (
    params.missingProperty ?? params.additionalProperty ?? error.instancePath.split('/')[1] ?? ''
  );
}

/** A query value as OpenAPI reads it: a decimal literal is a number, anything else a string. */
function queryValue(schema: Schema, raw: string): unknown {
  const value = decodeURIComponent(raw);
  const literal = schema.type === 'integer' ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/;
  return ['integer', 'number'].includes(String(schema.type)) && literal.test(value)
    ? Number(value)
    : value;
}

function parts(request: FuzzRequest) {
  const [path, query = ''] = request.path.split(/\?(.*)/s);
  return { path, query, headers: request.headers, body: request.body?.toString('utf8') };
}

const seed = 4242;
const cases = generateCases(document, { seed, casesPerOperation: 120 });

/** A case's request before and after its one change, with stand-in credentials. */
function requests(kase: FuzzCase) {
  const operation = operations.get(kase.operationId) as FuzzOperation;
  const valid = contract.validRequest(kase.operationId);
  const stub = (request: FuzzRequest): FuzzRequest => ({
    ...request,
    headers: { ...request.headers, 'x-timestamp': '1', 'x-signature': 'abc' },
  });
  const base = stub(buildRequest(document.basePath, operation, valid, { type: 'none' }));
  const changed = afterAuth(
    stub(buildRequest(document.basePath, operation, valid, kase.edit)),
    kase.edit,
    (name) => ({ ...base, headers: { ...base.headers, 'x-signature': name } }),
  );
  return { operation, base: parts(base), changed: parts(changed) };
}

describe('generateCases', () => {
  it('makes the same cases for the same seed, and others for another seed', () => {
    expect(generateCases(document, { seed, casesPerOperation: 120 })).toEqual(cases);
    const other = generateCases(document, { seed: seed + 1, casesPerOperation: 120 });
    expect(other).not.toEqual(cases);
    expect(other).toHaveLength(cases.length);
  });

  it('makes a fixed number of cases per operation, within the global cap', () => {
    for (const operation of document.operations) {
      expect(cases.filter((kase) => kase.operationId === operation.operationId)).toHaveLength(120);
    }
    const capped = generateCases(document, { seed, maxRequests: 500 });
    expect(capped.length).toBeLessThanOrEqual(500);
    expect(capped.length).toBeGreaterThan(400);
  });

  it('includes the probes the run promises', () => {
    const details = new Set(cases.map((kase) => `${kase.operationId}: ${kase.detail}`));
    for (const detail of [
      'publishTask: deadline = "2030-06-30T23:59:60Z" (a leap second)',
      'publishTask: deadline = "2030-02-30T00:00:00Z" (February 30)',
      'getTask: taskId = a malformed percent escape ("%zz")',
      'getTask: taskId = an encoded dot-dot segment ("%2e%2e")',
      'getTask: taskId = an encoded NUL ("%00")',
      'getTask: taskId = an encoded slash ("%2F")',
      'getTask: taskId = 2 KB of unicode',
      'getTask: a trailing slash',
      'getTask: an expired-looking JWT signed by nobody',
      'getTask: no Authorization header',
      'publishTask: a 2 MiB body',
      'publishTask: no body and no Content-Type',
      'publishTask: no bounty',
    ]) {
      expect(details).toContain(detail);
    }
    const kinds = new Set(cases.map((kase) => kase.kind));
    expect([...kinds].sort()).toEqual(
      [
        'bad-credentials',
        'bad-enum',
        'bad-format',
        'empty-body',
        'huge-body',
        'malformed-json',
        'missing-field',
        'no-credentials',
        'not-an-object',
        'odd-path',
        'odd-value',
        'out-of-range',
        'too-long',
        'too-short',
        'unexpected-body',
        'unknown-field',
        'unknown-query',
        'valid',
        'wrong-content-type',
        'wrong-type',
      ].sort(),
    );
  });

  it.each(document.operations.map((operation) => operation.operationId))(
    'changes one thing in each case of %s, in the way it says',
    (operationId) => {
      for (const kase of cases.filter((item) => item.operationId === operationId)) {
        const { operation, base, changed } = requests(kase);
        const label = `#${kase.id} ${kase.kind} ${kase.detail}`;
        const differs = {
          path: base.path !== changed.path,
          query: base.query !== changed.query,
          body: base.body !== changed.body,
          headers: Object.keys({ ...base.headers, ...changed.headers }).filter(
            (name) => base.headers[name] !== changed.headers[name],
          ),
        };
        const area = kase.where.split('.')[0];
        if (kase.kind === 'valid' && kase.where === 'request') {
          expect(differs, label).toEqual({ path: false, query: false, body: false, headers: [] });
        } else if (area === 'path') {
          expect(differs, label).toEqual({ path: true, query: false, body: false, headers: [] });
        } else if (area === 'query') {
          expect(differs, label).toEqual({ path: false, query: true, body: false, headers: [] });
        } else if (area === 'header' || area === 'credentials') {
          const header = kase.where === 'credentials' ? 'x-signature' : kase.where.slice(7);
          expect(differs, label).toEqual({
            path: false,
            query: false,
            body: false,
            headers: [header],
          });
        } else {
          expect(area, label).toBe('body');
          expect(
            { ...differs, headers: differs.headers.filter((name) => name !== 'content-type') },
            label,
          ).toMatchObject({ path: false, query: false, headers: [] });
        }
        checkValue(kase, operation, changed);
      }
    },
  );
});

/** A change to a value fails the schema exactly as the case says, on that field only. */
function checkValue(kase: FuzzCase, operation: FuzzOperation, changed: ReturnType<typeof parts>) {
  const label = `#${kase.id} ${kase.kind} ${kase.detail}`;
  const expected = keywords[kase.kind];
  const edit = kase.edit;
  let errors: ErrorObject[] | undefined;
  let field = '';
  if ((edit.type === 'set-field' || edit.type === 'delete-field') && operation.requestBody) {
    errors = schemaErrors(operation.requestBody.schema, JSON.parse(changed.body ?? ''));
    field = edit.field;
  } else if (edit.type === 'set-query' && edit.value !== null && !edit.value.includes('&')) {
    const parameter = operation.parameters.find(
      (item) => item.in === 'query' && item.name === edit.name,
    );
    if (parameter) {
      const schema = document.schema(parameter.schema);
      errors = schemaErrors(schema, queryValue(schema, edit.value));
    }
  } else if (edit.type === 'raw-body' && kase.kind === 'malformed-json') {
    expect(() => JSON.parse(edit.body), label).toThrow();
  } else if (edit.type === 'raw-body' && kase.kind === 'not-an-object') {
    const value = JSON.parse(edit.body);
    expect(typeof value === 'object' && value !== null && !Array.isArray(value), label).toBe(false);
  } else if (edit.type === 'raw-body' && operation.requestBody?.contentType.startsWith('text/')) {
    errors = schemaErrors(operation.requestBody.schema, edit.body);
  } else if (edit.type === 'set-path') {
    const parameter = operation.parameters.find((item) => item.name === edit.name);
    if (parameter?.schema?.format === 'uuid') {
      let value: string | undefined;
      try {
        value = decodeURIComponent(edit.raw);
      } catch {
        value = undefined;
      }
      expect(value === undefined || !formatValid('uuid', value), label).toBe(kase.invalid);
    }
  }
  if (errors === undefined) {
    return;
  }
  if (!kase.invalid) {
    expect(errors, label).toEqual([]);
    return;
  }
  expect(errors.length, label).toBeGreaterThan(0);
  if (field) {
    expect(errors.map(fieldOf), label).toEqual(errors.map(() => field));
  }
  if (expected) {
    expect(
      errors.some((error) => expected.includes(error.keyword)),
      `${label}: ${JSON.stringify(errors)}`,
    ).toBe(true);
  }
}

describe('Random', () => {
  it('repeats its sequence for a seed', () => {
    const draw = (value: number) => {
      const random = new Random(value);
      return [random.next(), random.int(1000), random.uuid(), random.unicode(5)];
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });
});

describe('every bundled document', () => {
  const services = readdirSync('generated', { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it.each(services)('%s: generates a bounded, deterministic run', (service) => {
    const fuzzDocument = readFuzzDocument(service);
    const first = generateCases(fuzzDocument, { seed: 1, maxRequests: 3000 });
    expect(first.length).toBeLessThanOrEqual(3000);
    expect(generateCases(fuzzDocument, { seed: 1, maxRequests: 3000 })).toEqual(first);
  });
});
