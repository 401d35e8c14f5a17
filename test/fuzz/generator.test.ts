import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { type DocumentOperation, loadDocument, type Schema } from '../support/documents.ts';
import { caseRequest, type FuzzRequest } from '../support/fuzz.ts';
import {
  type Edit,
  type FuzzCase,
  generateCases,
  type Kind,
  kinds,
} from '../support/fuzz-cases.ts';

const document = loadDocument('task-market');
const variants = { scheme: 'requestSignature', names: ['a stale timestamp', 'another key #'] };
const seed = 4242;
const cases = generateCases(document, { seed, casesPerOperation: 120, variants });
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

const byOperation = (items: FuzzCase[], operationId: string) =>
  items
    .filter((kase) => kase.operationId === operationId)
    .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));

describe('generateCases', () => {
  it('makes the same cases for the same seed, and others for another seed', () => {
    expect(generateCases(document, { seed, casesPerOperation: 120, variants })).toEqual(cases);
    const other = generateCases(document, { seed: seed + 1, casesPerOperation: 120, variants });
    expect(other).not.toEqual(cases);
    expect(other).toHaveLength(cases.length);
  });

  it("keeps an operation's cases when another operation comes or goes", () => {
    const [first, ...rest] = document.operations;
    const fewer = generateCases(
      { ...document, operations: rest },
      { seed, casesPerOperation: 120, variants },
    );
    expect(byOperation(fewer, first?.operationId ?? '')).toEqual([]);
    for (const { operationId } of rest) {
      expect(byOperation(fewer, operationId)).toEqual(byOperation(cases, operationId));
    }
  });

  it('makes casesPerOperation cases per operation, and never more than maxRequests', () => {
    for (const { operationId } of document.operations) {
      expect(byOperation(cases, operationId)).toHaveLength(120);
    }
    for (const maxRequests of [500, 20, 10]) {
      expect(generateCases(document, { seed, maxRequests }).length).toBeLessThanOrEqual(
        maxRequests,
      );
    }
    expect(generateCases(document, { seed, maxRequests: 500 }).length).toBeGreaterThan(400);
  });

  it('draws probes of every kind, their values varied, each a request of its own', () => {
    expect(new Set(cases.map((kase) => kase.kind))).toEqual(new Set(kinds));
    const at = (operationId: string) =>
      new Set(byOperation(cases, operationId).map((k) => k.where));
    for (const where of ['body.title', 'body.description', 'body.bounty', 'body.deadline']) {
      expect(at('publishTask')).toContain(where);
    }
    for (const where of ['header.authorization', 'header.x-signature', 'credentials', 'path']) {
      expect(at('publishTask')).toContain(where);
    }
    const getTask = [...at('getTask')].filter((where) => !/^(query\.|request)/.test(where));
    expect(new Set(getTask)).toEqual(new Set(['path', 'path.taskId', 'header.authorization']));
    expect(getTask.length).toBeLessThan(at('getTask').size);
    // Values vary within a kind (but where a kind has a handful of places and values).
    const few = ['valid', 'no-credentials', 'missing-field', 'empty-body'];
    for (const kind of kinds.filter((kind) => !few.includes(kind))) {
      const ofKind = cases.filter((kase) => kase.kind === kind);
      expect(new Set(ofKind.map((k) => `${k.where} ${k.detail}`)).size, kind).toBeGreaterThan(10);
    }
    const signatures = cases.filter((kase) => kase.kind === 'bad-signature');
    expect(signatures.some((kase) => /^another key \d+$/.test(kase.detail))).toBe(true);
  });

  it.each([4242, 20261122, 7])(
    'makes no two requests alike, and 5 percent valid ones (seed %i)',
    (seed) => {
      const run = generateCases(document, { seed, variants });
      const invalid = run.filter((kase) => kase.kind !== 'valid');
      const requests = invalid.map((kase) => {
        const operation = document.operations.find((item) => item.operationId === kase.operationId);
        const { body = '', ...rest } = sent(operation as DocumentOperation, kase.edit);
        return createHash('sha1').update(JSON.stringify(rest)).update(body).digest('hex');
      });
      expect(new Set(requests).size).toBe(invalid.length);
      expect(run.length - invalid.length).toBe(document.operations.length * 7);
    },
  );

  it.each(document.operations.map((operation) => [operation.operationId, operation] as const))(
    'changes one thing in each case of %s, in the way it says',
    (_, operation) => {
      const base = sent(operation, { type: 'none' });
      for (const kase of byOperation(cases, operation.operationId)) {
        const changed = sent(operation, kase.edit);
        const label = `${kase.id} ${kase.kind} ${kase.detail}`;
        expect(differences(base, changed), label).toEqual(expectedChange(kase));
        checkValue(operation, kase, changed, label);
      }
    },
  );
});

/** A case's request, with stand-in credentials that carry the variant's name. */
function sent(operation: DocumentOperation, edit: Edit) {
  const prepared = {
    request: document.validRequest(operation.operationId),
    authorize: (request: FuzzRequest, variant?: string) => ({
      ...request,
      headers: { ...request.headers, 'x-signature': variant ?? 'right' },
    }),
  };
  const request = caseRequest(document.basePath, operation, prepared, edit);
  const [path = '', query = ''] = request.path.split(/\?(.*)/s);
  return { path, query, headers: request.headers, body: request.body?.toString('utf8') };
}

type Sent = ReturnType<typeof sent>;

function differences(base: Sent, changed: Sent): string[] {
  const headers = Object.keys({ ...base.headers, ...changed.headers })
    .filter((name) => base.headers[name] !== changed.headers[name])
    .map((name) => `header ${name}`);
  const parts = (['path', 'query', 'body'] as const).filter((part) => base[part] !== changed[part]);
  return [...parts, ...headers];
}

/** `path`, `query`, `body` or `header <name>`: the one part a case changes. */
function expectedChange({ where }: FuzzCase): string[] {
  const [area = '', name] = where.split(/\.(.*)/s);
  if (where === 'request') {
    return [];
  }
  if (area === 'credentials') {
    return ['header x-signature'];
  }
  return [area === 'header' ? `header ${name}` : area];
}

/** The JSON Schema keywords a kind of value must fail. */
const keywords: Partial<Record<Kind, string[]>> = {
  'missing-field': ['required'],
  'wrong-type': ['type'],
  'out-of-range': ['minimum', 'maximum', 'minLength'],
  'too-long': ['maxLength'],
  'huge-body': ['maxLength'],
  'bad-enum': ['enum'],
  'bad-format': ['format'],
  'unknown-field': ['additionalProperties'],
};

/** RFC 3339 allows a leap second: that case checks the server does not choke on one. */
const leapSecond = '2030-06-30T23:59:60Z';

/** A changed value fails the schema as the case says. */
function checkValue(operation: DocumentOperation, kase: FuzzCase, changed: Sent, label: string) {
  const { edit } = kase;
  const body = operation.requestBody;
  if (edit.type === 'field' && body?.contentType === 'application/json') {
    const errors = expectErrors(body.schema, JSON.parse(changed.body ?? ''), kase, label);
    expect(
      errors.map(fieldOf).filter((name) => !edit.path.includes(name)),
      label,
    ).toEqual([]);
  } else if (edit.type === 'query' && edit.value !== null) {
    const parameter = operation.parameters.find((item) => item.name === edit.name);
    expect(parameter === undefined, label).toBe(kase.kind === 'unknown-query');
    if (parameter) {
      const schema = document.schema(parameter.schema);
      expectErrors(schema, queryValue(schema, decodeURIComponent(edit.value)), kase, label);
    }
  } else if (edit.type === 'body' && kase.kind === 'malformed-json') {
    expect(() => JSON.parse(edit.raw), label).toThrow();
  } else if (edit.type === 'body' && kase.kind === 'wrong-type') {
    const value = JSON.parse(edit.raw);
    expect(value === null || typeof value !== 'object' || Array.isArray(value), label).toBe(true);
  } else if (edit.type === 'body' && body && !body.contentType.includes('json')) {
    expectErrors(body.schema, edit.raw, kase, label);
  } else if (edit.type === 'segment') {
    const value = decode(edit.raw);
    expect(value === undefined || !ajv.validate({ format: 'uuid' }, value), label).toBe(true);
  }
}

function expectErrors(schema: Schema, value: unknown, kase: FuzzCase, label: string) {
  const validate = ajv.compile(schema);
  const errors: ErrorObject[] = validate(value) ? [] : (validate.errors ?? []);
  if (kase.detail.includes(leapSecond)) {
    expect(errors, label).toEqual([]);
  } else if (kase.kind === 'empty-body') {
    expect(errors.length, label).toBeGreaterThan(0);
  } else {
    const expected = keywords[kase.kind] ?? [];
    const failed = errors.some((error) => expected.includes(error.keyword));
    expect(failed, `${label}: ${JSON.stringify(errors)}`).toBe(true);
  }
  return errors;
}

/** The field an error is about: the property it names, or the first step of where it points. */
function fieldOf(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  return (
    params.missingProperty ?? params.additionalProperty ?? error.instancePath.split('/')[1] ?? ''
  );
}

/** A query value as OpenAPI reads it: a decimal literal is a number, anything else a string. */
function queryValue(schema: Schema, value: string): unknown {
  return schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
}

function decode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

describe('every bundled document', () => {
  const services = readdirSync('generated', { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);

  it.each(services)('%s: generates a bounded, deterministic run', (service) => {
    const serviceDocument = loadDocument(service);
    const first = generateCases(serviceDocument, { seed: 1, maxRequests: 3000 });
    expect(first.length).toBeLessThanOrEqual(3000);
    expect(generateCases(serviceDocument, { seed: 1, maxRequests: 3000 })).toEqual(first);
  });
});
