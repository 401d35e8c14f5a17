import { readFileSync } from 'node:fs';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { parse } from 'yaml';

// The generator of the negative-input fuzz run (test/support/fuzz.ts runs what it makes): from
// a bundled document and a seed, a bounded list of cases per operation, each a request that is
// wrong in exactly one way — or valid — described as data, so the same seed gives the same cases.

/** A JSON Schema as the bundled documents write them. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  readOnly?: boolean;
  contentMediaType?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface SecurityScheme {
  type: string;
  scheme?: string;
  in?: string;
  name?: string;
}

/** One operation of the document, with what the generator and the checks need. */
export interface FuzzOperation {
  operationId: string;
  /** Upper case: `POST`. */
  method: string;
  /** The path template without the base path: `/tasks/{taskId}/claim`. */
  path: string;
  parameters: Parameter[];
  /** Each requirement as its schemes' names; empty when the operation is public. */
  security: string[][];
  requestBody?: { required: boolean; contentType: string; schema: Schema };
  /** The documented responses: status (`200`, `4XX`, `default`) → content types. */
  responses: Record<string, string[]>;
  /** The catalog names the operation documents. */
  errors: string[];
}

export interface FuzzDocument {
  service: string;
  basePath: string;
  operations: FuzzOperation[];
  schemes: Record<string, SecurityScheme>;
  /** A schema with its `$ref` followed and its `allOf` merged. */
  schema(schema: Schema | undefined): Schema;
}

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Reads a bundled document (generated/<service>/openapi.yaml). */
export function readFuzzDocument(service: string, file = `generated/${service}/openapi.yaml`) {
  // biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document of any shape
  const document: any = parse(readFileSync(file, 'utf8'));
  const follow = <T>(value: T | { $ref: string }): T => {
    let node: unknown = value;
    for (let depth = 0; depth < 20 && isRef(node); depth++) {
      node = node.$ref
        .slice(2)
        .split('/')
        .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
        // biome-ignore lint/suspicious/noExplicitAny: walking the document
        .reduce((parent: any, key) => parent?.[key], document);
    }
    return node as T;
  };
  const schema = (value: Schema | undefined): Schema => {
    const found = follow<Schema>(value ?? {}) ?? {};
    if (!found.allOf) {
      return found;
    }
    const merged: Schema = { ...found, allOf: undefined, properties: { ...found.properties } };
    for (const part of found.allOf.map(schema)) {
      Object.assign(merged.properties as object, part.properties);
      merged.required = [...(merged.required ?? []), ...(part.required ?? [])];
      merged.type ??= part.type;
      if (part.additionalProperties === false) {
        merged.additionalProperties = false;
      }
    }
    return merged;
  };

  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries<Record<string, unknown>>(document.paths ?? {})) {
    for (const method of methods) {
      // biome-ignore lint/suspicious/noExplicitAny: an operation object
      const operation = item[method] as any;
      if (!operation) {
        continue;
      }
      const parameters = [
        ...((item.parameters as unknown[]) ?? []),
        ...((operation.parameters as unknown[]) ?? []),
      ].map((parameter) => follow<Parameter>(parameter as Parameter));
      const content: Record<string, { schema?: Schema }> =
        follow<{ content?: Record<string, { schema?: Schema }> }>(operation.requestBody ?? {})
          ?.content ?? {};
      const [contentType] = Object.keys(content);
      const security: Record<string, string[]>[] = operation.security ?? document.security ?? [];
      operations.push({
        operationId: operation.operationId,
        method: method.toUpperCase(),
        path,
        parameters,
        security: security.map((requirement) => Object.keys(requirement)),
        requestBody:
          contentType === undefined
            ? undefined
            : {
                required: operation.requestBody?.required === true,
                contentType,
                schema: schema(content[contentType]?.schema),
              },
        responses: Object.fromEntries(
          Object.entries<{ content?: Record<string, unknown> }>(operation.responses ?? {}).map(
            ([status, response]) => [
              status,
              Object.keys(follow<typeof response>(response)?.content ?? {}),
            ],
          ),
        ),
        errors: operation['x-errors'] ?? [],
      });
    }
  }
  const schemes: Record<string, SecurityScheme> = {};
  for (const [name, scheme] of Object.entries(document.components?.securitySchemes ?? {})) {
    schemes[name] = follow(scheme as SecurityScheme);
  }
  return {
    service,
    basePath: document.servers?.[0]?.url ?? '',
    operations,
    schemes,
    schema,
  } satisfies FuzzDocument;
}

function isRef(value: unknown): value is { $ref: string } {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** A small seeded PRNG (mulberry32): the same seed, the same sequence, on every machine. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) {
      throw new Error('pick from an empty list');
    }
    return items[this.int(items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = this.int(index + 1);
      [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
    }
    return copy;
  }

  /** A lowercase identifier, for unknown field and parameter names. */
  identifier(): string {
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    return Array.from({ length: 3 + this.int(8) }, () => this.pick([...letters])).join('');
  }

  /** A v4-shaped UUID. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(16).toString(16));
    hex[12] = '4';
    hex[16] = '89ab'[this.int(4)] as string;
    const text = hex.join('');
    return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
  }

  /** `length` code points from scripts that trip up length checks, storage and logs. */
  unicode(length: number): string {
    const ranges: [number, number][] = [
      [0x61, 0x7a], // ASCII
      [0xe0, 0xff], // Latin-1
      [0x4e00, 0x9fff], // CJK
      [0x0600, 0x06ff], // Arabic (right to left)
      [0x0300, 0x036f], // combining marks
      [0x1f600, 0x1f64f], // emoji, outside the BMP
      [0x200b, 0x200d], // zero-width
    ];
    return Array.from({ length }, () => {
      const [low, high] = this.pick(ranges);
      return String.fromCodePoint(low + this.int(high - low + 1));
    }).join('');
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

/** What a case changes in the operation's valid request. */
export type Edit =
  | { type: 'none' }
  /** Sets a top-level field of the body (JSON object or multipart form). */
  | { type: 'set-field'; field: string; value: unknown }
  | { type: 'delete-field'; field: string }
  /** Sends `body` as is, with this Content-Type (`null`: none). */
  | { type: 'raw-body'; body: string; contentType: string | null }
  /** The valid body padded to `bytes` (or a padding body for an operation without one). */
  | { type: 'huge-body'; bytes: number }
  | { type: 'no-body'; contentType: string | null }
  /** The valid body with another Content-Type (`null`: none). */
  | { type: 'content-type'; value: string | null }
  /** Sets a query parameter, name and value sent as written (`null`: the name alone). */
  | { type: 'set-query'; name: string; value: string | null }
  | { type: 'delete-query'; name: string }
  /** The path segment of one path parameter, sent as written. */
  | { type: 'set-path'; name: string; raw: string }
  | { type: 'path-suffix'; raw: string }
  /** An empty segment right after the base path: `/task-market//points`. */
  | { type: 'double-slash' }
  /** Sets (`null`: removes) a header; `afterAuth` for credentials, applied after signing. */
  | { type: 'set-header'; name: string; value: string | null; afterAuth: boolean }
  /** A target's own credential variant (a stale signature timestamp), applied after signing. */
  | { type: 'variant'; name: string };

export type Kind =
  | 'valid'
  | 'odd-value'
  | 'missing-field'
  | 'wrong-type'
  | 'out-of-range'
  | 'too-long'
  | 'too-short'
  | 'bad-enum'
  | 'bad-format'
  | 'unknown-field'
  | 'unknown-query'
  | 'malformed-json'
  | 'not-an-object'
  | 'wrong-content-type'
  | 'empty-body'
  | 'huge-body'
  | 'unexpected-body'
  | 'odd-path'
  | 'no-credentials'
  | 'bad-credentials'
  | 'bad-signature';

/** One request of the run: an operation's valid request with one thing changed. */
export interface FuzzCase {
  /** Position in the run, to find it again. */
  id: number;
  operationId: string;
  kind: Kind;
  /** Where the one change is: `body`, `body.title`, `query.limit`, `path.taskId`, `header.authorization`… */
  where: string;
  /** What is wrong, for people: `bounty = 0 (minimum 1)`. */
  detail: string;
  /** Whether the document refuses the request (false: valid by the schema, only unusual). */
  invalid: boolean;
  edit: Edit;
}

type Draft = Omit<FuzzCase, 'id' | 'operationId'>;

export interface GenerateOptions {
  seed: number;
  /** Cases per operation (valid ones included). */
  casesPerOperation?: number;
  /** Cap on the whole run; the per-operation number shrinks to fit. */
  maxRequests?: number;
  /** Names of the target's credential variants that apply to an operation. */
  variants?: (operation: FuzzOperation, schemes: Record<string, SecurityScheme>) => string[];
}

export const defaultCasesPerOperation = 140;
export const defaultMaxRequests = 4000;
export const hugeBodyBytes = 2 * 1024 * 1024;

/**
 * The cases of a run: per operation, every fixed probe that applies (missing fields, bad
 * formats, odd paths, bad credentials…), topped up with freshly drawn values to the per-operation
 * number, plus valid requests; all of it shuffled by the seed.
 */
export function generateCases(document: FuzzDocument, options: GenerateOptions): FuzzCase[] {
  const random = new Random(options.seed);
  const count = document.operations.length;
  const perOperation = Math.max(
    1,
    Math.min(
      options.casesPerOperation ?? defaultCasesPerOperation,
      Math.floor((options.maxRequests ?? defaultMaxRequests) / Math.max(1, count)),
    ),
  );
  const all: Omit<FuzzCase, 'id'>[] = [];
  for (const operation of document.operations) {
    const variants = options.variants?.(operation, document.schemes) ?? [];
    const validShare = Math.max(3, Math.round(perOperation * 0.08));
    const chosen: Draft[] = [];
    const seen = new Set<string>();
    const add = (draft: Draft) => {
      const key = `${draft.kind}|${JSON.stringify(draft.edit)}`;
      if (seen.has(key) || chosen.length >= perOperation) {
        return false;
      }
      seen.add(key);
      chosen.push(draft);
      return true;
    };
    const valid = validDrafts(document, operation, random);
    // Valid requests first, repeated when there are few: each runs on fresh state.
    for (let index = 0; index < validShare; index++) {
      chosen.push(valid[index % valid.length] as Draft);
    }
    for (const draft of valid) {
      seen.add(`${draft.kind}|${JSON.stringify(draft.edit)}`);
    }
    for (const draft of random.shuffle(probes(document, operation, random, variants))) {
      add(draft);
    }
    // Top up with fresh draws; a probe list of fixed values gives no new cases after a while.
    for (let round = 0; round < 20 && chosen.length < perOperation; round++) {
      for (const draft of random.shuffle(probes(document, operation, random, variants))) {
        add(draft);
      }
    }
    let repeat = 0;
    while (chosen.length < perOperation) {
      // Everything distinct is in: repeat valid requests, each on fresh state.
      chosen.push(valid[repeat++ % valid.length] as Draft);
    }
    all.push(...chosen.map((draft) => ({ ...draft, operationId: operation.operationId })));
  }
  return random.shuffle(all).map((draft, id) => ({ id, ...draft }));
}

function validDrafts(document: FuzzDocument, operation: FuzzOperation, random: Random): Draft[] {
  const drafts: Draft[] = [
    { kind: 'valid', where: 'request', detail: 'the valid request', invalid: false, edit: none },
  ];
  for (const parameter of operation.parameters) {
    if (parameter.in !== 'query' || parameter.required) {
      continue;
    }
    const schema = document.schema(parameter.schema);
    const values = validQueryValues(schema, random);
    for (const value of values) {
      drafts.push({
        kind: 'valid',
        where: `query.${parameter.name}`,
        detail: `${parameter.name}=${value}`,
        invalid: false,
        edit: { type: 'set-query', name: parameter.name, value: percentEncode(value) },
      });
    }
  }
  return drafts;
}

const none: Edit = { type: 'none' };

function validQueryValues(schema: Schema, random: Random): string[] {
  if (schema.enum) {
    return schema.enum.map(String);
  }
  const type = typeOf(schema);
  if (type === 'integer' || type === 'number') {
    const low = schema.minimum ?? 0;
    const high = schema.maximum ?? low + 1000;
    return [String(low), String(high), String(low + random.int(high - low + 1))];
  }
  if (schema.format === 'uuid') {
    return [random.uuid()];
  }
  if (type === 'boolean') {
    return ['true', 'false'];
  }
  return [];
}

/** Every probe that applies to an operation, with values drawn afresh on each call. */
function probes(
  document: FuzzDocument,
  operation: FuzzOperation,
  random: Random,
  variants: string[],
): Draft[] {
  return [
    ...credentialProbes(document, operation, variants),
    ...pathProbes(operation, random),
    ...queryProbes(document, operation, random),
    ...headerProbes(document, operation, random),
    ...bodyProbes(document, operation, random),
  ];
}

/** An HS256-looking JWT for the demo agent that expired in 2020, signed with nobody's key. */
export const expiredJwt = [
  base64url({ alg: 'HS256', typ: 'JWT' }),
  base64url({
    sub: '550e8400-e29b-41d4-a716-446655440001',
    jti: 'tok_expired',
    iat: 1577836800,
    exp: 1577840400,
  }),
  'c2lnbmF0dXJlLW9mLW5vYm9keQ',
].join('.');

const unsignedJwt = [
  base64url({ alg: 'none', typ: 'JWT' }),
  base64url({ sub: '550e8400-e29b-41d4-a716-446655440001', exp: 4102444800 }),
  '',
].join('.');

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function credentialProbes(
  document: FuzzDocument,
  operation: FuzzOperation,
  variants: string[],
): Draft[] {
  const [first] = operation.security;
  // A requirement without schemes makes credentials optional: leaving them out is then valid.
  const optional = operation.security.some((requirement) => requirement.length === 0);
  if (!first || first.length === 0) {
    return [
      {
        kind: 'bad-credentials',
        where: 'header.authorization',
        detail: 'a garbage bearer on a public operation',
        invalid: false,
        edit: {
          type: 'set-header',
          name: 'authorization',
          value: 'Bearer garbage',
          afterAuth: true,
        },
      },
    ];
  }
  const drafts: Draft[] = [];
  for (const name of first) {
    const scheme = document.schemes[name];
    if (scheme?.type === 'http') {
      drafts.push({
        kind: 'no-credentials',
        where: 'header.authorization',
        detail: 'no Authorization header',
        invalid: !optional,
        edit: { type: 'set-header', name: 'authorization', value: null, afterAuth: true },
      });
      const bad: [string, string][] = [
        ['a garbage bearer', 'Bearer garbage'],
        ['an empty bearer', 'Bearer '],
        ['the scheme alone', 'Bearer'],
        ['an expired-looking JWT signed by nobody', `Bearer ${expiredJwt}`],
        ['an unsigned JWT (alg none)', `Bearer ${unsignedJwt}`],
        ['a three-part token of junk', 'Bearer a.b.c'],
        ['an 8 KB token', `Bearer ${'A'.repeat(8192)}`],
        ['Basic credentials', 'Basic dXNlcjpwYXNzd29yZA=='],
        ['another scheme', 'Token abc123'],
      ];
      for (const [detail, value] of bad) {
        drafts.push({
          kind: 'bad-credentials',
          where: 'header.authorization',
          detail,
          invalid: true,
          edit: { type: 'set-header', name: 'authorization', value, afterAuth: true },
        });
      }
    } else if (scheme?.type === 'apiKey' && scheme.in === 'header' && scheme.name) {
      const header = scheme.name.toLowerCase();
      drafts.push(
        {
          kind: 'no-credentials',
          where: `header.${header}`,
          detail: `no ${scheme.name} header`,
          invalid: !optional,
          edit: { type: 'set-header', name: header, value: null, afterAuth: true },
        },
        {
          kind: 'bad-credentials',
          where: `header.${header}`,
          detail: `a garbage ${scheme.name}`,
          invalid: true,
          edit: { type: 'set-header', name: header, value: 'garbage', afterAuth: true },
        },
        {
          kind: 'bad-credentials',
          where: `header.${header}`,
          detail: `an empty ${scheme.name}`,
          invalid: true,
          edit: { type: 'set-header', name: header, value: '', afterAuth: true },
        },
      );
    }
  }
  for (const name of variants) {
    drafts.push({
      kind: 'bad-signature',
      where: 'credentials',
      detail: name,
      invalid: true,
      edit: { type: 'variant', name },
    });
  }
  return drafts;
}

/** Odd path segments, sent as written (the brief's list, and a few more). */
export const oddSegments: [string, string][] = [
  ['%zz', 'a malformed percent escape'],
  ['%', 'a lone percent sign'],
  ['..', 'a dot-dot segment'],
  ['%2e%2e', 'an encoded dot-dot segment'],
  ['.', 'a dot segment'],
  ['%00', 'an encoded NUL'],
  ['%2F', 'an encoded slash'],
  ['%2f..%2f..%2fetc%2fpasswd', 'an encoded traversal'],
  ['', 'an empty segment'],
  ['%20', 'an encoded space'],
  ['%C0%AE', 'an overlong UTF-8 dot'],
  ['%FF%FE', 'invalid UTF-8'],
  ['caf\u00e9', 'a raw Latin-1 byte'],
  [';a=b', 'a matrix parameter'],
  ['not-a-uuid', 'not an id'],
  ['00000000-0000-0000-0000-000000000000', 'the nil UUID'],
  ['660e8400-e29b-41d4-a716-44665544000g', 'a UUID with a non-hex digit'],
  ['660e8400-e29b-41d4-a716-446655440002.json', 'a UUID with a suffix'],
];

function pathProbes(operation: FuzzOperation, random: Random): Draft[] {
  const drafts: Draft[] = [
    {
      kind: 'odd-path',
      where: 'path',
      detail: 'a trailing slash',
      invalid: true,
      edit: { type: 'path-suffix', raw: '/' },
    },
    {
      kind: 'odd-path',
      where: 'path',
      detail: 'an empty segment after the base path',
      invalid: true,
      edit: { type: 'double-slash' },
    },
    {
      kind: 'odd-path',
      where: 'path',
      detail: 'a trailing /..',
      invalid: true,
      edit: { type: 'path-suffix', raw: '/..' },
    },
  ];
  for (const parameter of operation.parameters) {
    if (parameter.in !== 'path') {
      continue;
    }
    const uuid = parameter.schema?.format === 'uuid';
    for (const [raw, detail] of oddSegments) {
      drafts.push({
        kind: 'odd-path',
        where: `path.${parameter.name}`,
        detail: `${parameter.name} = ${detail} (${JSON.stringify(raw)})`,
        // The nil UUID is a well-formed id that names nothing.
        invalid: !(uuid && raw.startsWith('00000000')) && uuid,
        edit: { type: 'set-path', name: parameter.name, raw },
      });
    }
    drafts.push(
      {
        kind: 'odd-path',
        where: `path.${parameter.name}`,
        detail: `${parameter.name} = 2 KB of unicode`,
        invalid: uuid,
        edit: {
          type: 'set-path',
          name: parameter.name,
          raw: percentEncode(random.unicode(700)),
        },
      },
      {
        kind: 'odd-path',
        where: `path.${parameter.name}`,
        detail: `${parameter.name} = an id that names nothing`,
        invalid: false,
        edit: { type: 'set-path', name: parameter.name, raw: random.uuid() },
      },
    );
  }
  return drafts;
}

function queryProbes(document: FuzzDocument, operation: FuzzOperation, random: Random): Draft[] {
  const name = random.identifier();
  const drafts: Draft[] = [
    {
      kind: 'unknown-query',
      where: `query.${name}`,
      detail: `an unknown parameter ${name}`,
      invalid: true,
      edit: {
        type: 'set-query',
        name,
        value: percentEncode(random.unicode(1 + random.int(8))),
      },
    },
    {
      kind: 'unknown-query',
      where: 'query.__proto__',
      detail: 'an unknown parameter __proto__',
      invalid: true,
      edit: { type: 'set-query', name: '__proto__', value: 'x' },
    },
    {
      kind: 'unknown-query',
      where: 'query.%zz',
      detail: 'a malformed percent escape in a parameter name',
      invalid: true,
      edit: { type: 'set-query', name: '%zz', value: '1' },
    },
    {
      kind: 'unknown-query',
      where: 'query.a[b]',
      detail: 'a bracketed parameter name',
      invalid: true,
      edit: { type: 'set-query', name: 'a%5Bb%5D', value: '1' },
    },
    {
      kind: 'unknown-query',
      where: 'query.flag',
      detail: 'a parameter name without a value',
      invalid: true,
      edit: { type: 'set-query', name: random.identifier(), value: null },
    },
  ];
  for (const parameter of operation.parameters) {
    if (parameter.in !== 'query') {
      continue;
    }
    const schema = document.schema(parameter.schema);
    const where = `query.${parameter.name}`;
    const set = (value: string): Edit => ({
      type: 'set-query',
      name: parameter.name,
      value: percentEncode(value),
    });
    if (parameter.required) {
      drafts.push({
        kind: 'missing-field',
        where,
        detail: `no ${parameter.name}`,
        invalid: true,
        edit: { type: 'delete-query', name: parameter.name },
      });
    }
    drafts.push(
      {
        kind: 'unknown-query',
        where: `query.${parameter.name.toUpperCase()}`,
        detail: `${parameter.name.toUpperCase()}, the name in another case`,
        invalid: true,
        edit: {
          type: 'set-query',
          name: parameter.name.toUpperCase(),
          value: percentEncode(validQueryValues(schema, random)[0] ?? 'x'),
        },
      },
      {
        kind: 'odd-value',
        where,
        detail: `${parameter.name} twice`,
        invalid: typeOf(schema) !== 'array',
        edit: {
          type: 'set-query',
          name: parameter.name,
          value: `${percentEncode(validQueryValues(schema, random)[0] ?? 'x')}&${parameter.name}=${percentEncode(validQueryValues(schema, random)[0] ?? 'y')}`,
        },
      },
    );
    for (const probe of valueProbes(schema, random, 'query')) {
      drafts.push({
        kind: probe.kind,
        where,
        detail: `${parameter.name} = ${describe(probe.value)}${probe.why ? ` (${probe.why})` : ''}`,
        invalid: probe.invalid,
        edit: set(String(probe.value)),
      });
    }
  }
  return drafts;
}

function headerProbes(document: FuzzDocument, operation: FuzzOperation, random: Random): Draft[] {
  const drafts: Draft[] = [];
  for (const parameter of operation.parameters) {
    if (parameter.in !== 'header') {
      continue;
    }
    const header = parameter.name.toLowerCase();
    const where = `header.${header}`;
    if (parameter.required) {
      drafts.push({
        kind: 'missing-field',
        where,
        detail: `no ${parameter.name}`,
        invalid: true,
        edit: { type: 'set-header', name: header, value: null, afterAuth: false },
      });
    }
    for (const probe of valueProbes(document.schema(parameter.schema), random, 'query')) {
      const value = String(probe.value);
      if (/[^\t\x20-\x7e]/.test(value)) {
        continue; // not sendable as a header value
      }
      drafts.push({
        kind: probe.kind,
        where,
        detail: `${parameter.name}: ${describe(value)}`,
        invalid: probe.invalid,
        edit: { type: 'set-header', name: header, value, afterAuth: false },
      });
    }
  }
  return drafts;
}

function bodyProbes(document: FuzzDocument, operation: FuzzOperation, random: Random): Draft[] {
  const body = operation.requestBody;
  if (!body) {
    return [
      {
        kind: 'unexpected-body',
        where: 'body',
        detail: 'a JSON body on an operation without one',
        invalid: false,
        edit: { type: 'raw-body', body: '{"unexpected":true}', contentType: 'application/json' },
      },
      {
        kind: 'huge-body',
        where: 'body',
        detail: 'a 2 MiB body on an operation without one',
        invalid: false,
        edit: { type: 'huge-body', bytes: hugeBodyBytes },
      },
    ];
  }
  const type = body.contentType;
  const drafts: Draft[] = [
    {
      kind: 'empty-body',
      where: 'body',
      detail: 'no body and no Content-Type',
      invalid: body.required,
      edit: { type: 'no-body', contentType: null },
    },
    {
      kind: 'empty-body',
      where: 'body',
      detail: `an empty body sent as ${type}`,
      invalid: body.required,
      edit: { type: 'no-body', contentType: type },
    },
    {
      kind: 'huge-body',
      where: 'body',
      detail: 'a 2 MiB body',
      invalid: true,
      edit: { type: 'huge-body', bytes: hugeBodyBytes },
    },
  ];
  const otherTypes = [
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/xml',
    'application/octet-stream',
    'multipart/form-data; boundary=fuzz',
    'application/json',
    'text/markdown',
    `${type}; charset=latin1`,
    `${type}; charset=utf-16`,
    'application/jsonx',
    '*/*',
    'garbage',
    null,
  ].filter((candidate) => candidate !== type);
  for (const contentType of [random.pick(otherTypes), random.pick(otherTypes)]) {
    drafts.push({
      kind: 'wrong-content-type',
      where: 'header.content-type',
      detail: contentType === null ? 'no Content-Type' : `Content-Type: ${contentType}`,
      invalid: true,
      edit: { type: 'content-type', value: contentType },
    });
  }
  drafts.push({
    kind: 'odd-value',
    where: 'header.content-type',
    detail: `Content-Type: ${type.toUpperCase()}; charset=utf-8`,
    invalid: false,
    edit: { type: 'content-type', value: `${type.toUpperCase()}; charset=utf-8` },
  });

  const schema = body.schema;
  if (type.includes('json')) {
    drafts.push(
      ...[random.pick(malformedJson), random.pick(malformedJson)].map(
        ([raw, detail]): Draft => ({
          kind: 'malformed-json',
          where: 'body',
          detail,
          invalid: true,
          edit: { type: 'raw-body', body: raw, contentType: type },
        }),
      ),
    );
    if (typeOf(schema) === 'object') {
      for (const [raw, detail] of [random.pick(notObjects), random.pick(notObjects)]) {
        drafts.push({
          kind: 'not-an-object',
          where: 'body',
          detail,
          invalid: true,
          edit: { type: 'raw-body', body: raw, contentType: type },
        });
      }
    }
  }
  if (typeOf(schema) === 'object' || schema.properties) {
    drafts.push(...fieldProbes(document, schema, random));
  } else if (typeOf(schema) === 'string') {
    // A text body: the body is the value.
    for (const probe of valueProbes(schema, random, 'body')) {
      if (probe.kind === 'wrong-type' || typeof probe.value !== 'string') {
        continue; // every text is a string
      }
      drafts.push({
        kind: probe.kind,
        where: 'body',
        detail: `a body of ${describe(probe.value)}${probe.why ? ` (${probe.why})` : ''}`,
        invalid: probe.invalid,
        edit: { type: 'raw-body', body: probe.value, contentType: type },
      });
    }
  }
  return drafts;
}

const malformedJson: [string, string][] = [
  ['{"title": "Summarise', 'JSON cut off in a string'],
  ['{"title": }', 'a member without a value'],
  ["{'title': 'x'}", 'single quotes'],
  ['{"title": "x",}', 'a trailing comma'],
  ['{"bounty": NaN}', 'NaN'],
  ['{', 'a lone brace'],
  ['/* comment */ {}', 'a comment'],
  ['{"a": "\\x41"}', 'an invalid escape'],
  ['{"a": 1} {"b": 2}', 'two documents'],
  ['\u0000', 'a NUL byte'],
  ['not json', 'plain text'],
];

const notObjects: [string, string][] = [
  ['[]', 'an array'],
  ['"text"', 'a string'],
  ['42', 'a number'],
  ['null', 'null'],
  ['true', 'a boolean'],
  [`${'['.repeat(5000)}${']'.repeat(5000)}`, 'an array nested 5,000 deep'],
];

function fieldProbes(document: FuzzDocument, object: Schema, random: Random): Draft[] {
  const drafts: Draft[] = [];
  const properties = Object.entries(object.properties ?? {}).filter(
    ([, property]) => !document.schema(property).readOnly,
  );
  for (const field of object.required ?? []) {
    drafts.push({
      kind: 'missing-field',
      where: `body.${field}`,
      detail: `no ${field}`,
      invalid: true,
      edit: { type: 'delete-field', field },
    });
  }
  for (const [field, property] of properties) {
    for (const probe of valueProbes(document.schema(property), random, 'body')) {
      drafts.push({
        kind: probe.kind,
        where: `body.${field}`,
        detail: `${field} = ${describe(probe.value)}${probe.why ? ` (${probe.why})` : ''}`,
        invalid: probe.invalid,
        edit: { type: 'set-field', field, value: probe.value },
      });
    }
  }
  const known = properties.map(([field]) => field);
  const closed = object.additionalProperties === false;
  const unknown = [
    random.identifier(),
    '__proto__',
    'constructor',
    ...known.map((field) => field.toUpperCase()).filter((field) => !known.includes(field)),
  ];
  for (const field of [unknown[0] as string, random.pick(unknown.slice(1).concat(['__proto__']))]) {
    drafts.push({
      kind: 'unknown-field',
      where: `body.${field}`,
      detail: `an unknown field ${field}`,
      invalid: closed,
      edit: { type: 'set-field', field, value: random.pick([1, 'x', { polluted: true }, null]) },
    });
  }
  return drafts;
}

interface ValueProbe {
  kind: Kind;
  value: unknown;
  invalid: boolean;
  why?: string;
}

/**
 * Values for one schema, each wrong in one way (or valid but unusual). `query` values are
 * strings as sent; `body` values are JSON values.
 */
export function valueProbes(schema: Schema, random: Random, where: 'body' | 'query'): ValueProbe[] {
  const probes: ValueProbe[] = [];
  const type = typeOf(schema);
  const text = where === 'query';
  const numeric = type === 'integer' || type === 'number';

  // Wrong type: a value no type of the schema allows.
  if (text) {
    if (numeric) {
      for (const value of [
        random.pick(['abc', 'true', '[]']),
        random.pick(['0x10', '1e3', ' 5', '5.0', '+5', '']),
      ]) {
        probes.push({ kind: 'wrong-type', value, invalid: true, why: `not a decimal ${type}` });
      }
      if (type === 'integer') {
        probes.push({ kind: 'wrong-type', value: '1.5', invalid: true, why: 'not an integer' });
      }
    } else if (type === 'boolean') {
      probes.push({ kind: 'wrong-type', value: random.pick(['yes', '1', 'TRUE']), invalid: true });
    }
  } else {
    const candidates: unknown[] = ['text', 42, 4.5, true, null, [], {}, ['a'], { a: 1 }, '42'];
    const wrong = candidates.filter((value) => !allowsType(schema, value));
    if (wrong.length > 0) {
      probes.push({ kind: 'wrong-type', value: random.pick(wrong), invalid: true });
    }
  }

  if (numeric) {
    const low = schema.exclusiveMinimum ?? schema.minimum;
    const high = schema.exclusiveMaximum ?? schema.maximum;
    // In a query, a decimal literal (`1000000000000000000000`, never `1e+21`).
    const render = (value: number) =>
      text ? (Number.isInteger(value) ? BigInt(value).toString() : String(value)) : value;
    if (low !== undefined) {
      const below =
        schema.exclusiveMinimum !== undefined
          ? low
          : random.pick([low - 1, low - 1000, -(2 ** 31), -(2 ** 53)].filter((v) => v < low));
      probes.push({
        kind: 'out-of-range',
        value: render(below),
        invalid: true,
        why: `minimum ${low}`,
      });
    }
    if (high !== undefined) {
      const above =
        schema.exclusiveMaximum !== undefined
          ? high
          : random.pick([high + 1, high * 10, 2 ** 31, 2 ** 53, 1e21].filter((v) => v > high));
      probes.push({
        kind: 'out-of-range',
        value: render(above),
        invalid: true,
        why: `maximum ${high}`,
      });
    }
    if (low === undefined) {
      probes.push({ kind: 'odd-value', value: render(-(2 ** 53)), invalid: false });
    }
    if (high === undefined) {
      probes.push({
        kind: 'odd-value',
        value: render(random.pick([2 ** 53, 1e21])),
        invalid: false,
      });
    }
  }

  if (type === 'string' && !schema.enum && !schema.format && !schema.pattern) {
    const min = schema.minLength ?? 0;
    const max = schema.maxLength;
    if (max !== undefined) {
      // One code point over; ajv counts code points, so astral characters count once.
      // Random unicode only for modest lengths: drawing 262,144 code points every round is slow.
      const value = random.pick([
        'x'.repeat(max + 1),
        max <= 20_000 ? random.unicode(max + 1) : 'é'.repeat(max + 1),
        `${'x'.repeat(max)}😀`,
      ]);
      probes.push({ kind: 'too-long', value, invalid: true, why: `maxLength ${max}` });
    }
    if (min > 0) {
      probes.push({
        kind: 'too-short',
        value: 'x'.repeat(min - 1),
        invalid: true,
        why: `minLength ${min}`,
      });
    }
    // Valid lengths, unusual content.
    const room = Math.max(min, Math.min(max ?? 64, 64));
    const odd = [
      random.unicode(Math.max(min, 1 + random.int(room))),
      ' '.repeat(Math.max(min, 3)),
      `x${'\u0000'.repeat(Math.max(min - 1, 1))}`,
      // A lone surrogate: valid in JSON, not encodable in a URL.
      ...(text ? [] : [`\ud800${'x'.repeat(Math.max(min - 1, 0))}`]),
      "' OR 1=1 --".padEnd(min, 'x'),
      '<script>alert(1)</script>'.padEnd(min, 'x'),
      '../../etc/passwd'.padEnd(min, 'x'),
      // base64url of ["a","b"]: the shape of an opaque cursor, naming nothing.
      'WyJhIiwiYiJd'.padEnd(min, 'A'),
    ].filter((value) => max === undefined || [...value].length <= max);
    if (odd.length > 0) {
      const value = random.pick(odd);
      probes.push({ kind: 'odd-value', value, invalid: false });
    }
    if (max !== undefined && max <= 300_000) {
      probes.push({
        kind: 'odd-value',
        value: max <= 20_000 ? random.unicode(max) : '漢'.repeat(max),
        invalid: false,
        why: `exactly maxLength ${max}`,
      });
    }
  }

  if (schema.enum) {
    const members = schema.enum.map(String);
    const first = String(random.pick(schema.enum));
    const bad = [
      first.toUpperCase(),
      `${first} `,
      '',
      'unknown',
      `${first}\u200b`,
      members.join(','),
    ].filter((value) => !members.includes(value));
    probes.push({ kind: 'bad-enum', value: random.pick(bad), invalid: true });
  }

  if (type === 'string' && schema.format) {
    for (const value of formatProbes(schema.format, random)) {
      probes.push({
        kind: formatValid(schema.format, value) ? 'odd-value' : 'bad-format',
        value,
        invalid: !formatValid(schema.format, value),
        why: formatNotes[value],
      });
    }
  }
  return probes;
}

const formatNotes: Record<string, string> = {
  '2030-06-30T23:59:60Z': 'a leap second',
  '2030-02-30T00:00:00Z': 'February 30',
};

/** Values for a format: the brief's fixed ones always, one drawn from the rest. */
function formatProbes(format: string, random: Random): string[] {
  if (format === 'uuid') {
    return [
      random.pick([
        'not-a-uuid',
        '660e8400e29b41d4a716446655440002',
        '660e8400-e29b-41d4-a716-44665544000g',
        '{660e8400-e29b-41d4-a716-446655440002}',
        '660e8400-e29b-41d4-a716-4466554400021',
        '',
      ]),
      random.pick([
        random.uuid().toUpperCase(),
        '00000000-0000-0000-0000-000000000000',
        `urn:uuid:${random.uuid()}`,
      ]),
    ];
  }
  if (format === 'date-time') {
    return [
      '2030-06-30T23:59:60Z',
      '2030-02-30T00:00:00Z',
      random.pick([
        '2030-13-01T00:00:00Z',
        '2030-01-01T24:00:00Z',
        '2030-01-01',
        '2030-01-01T00:00:00',
        'tomorrow',
        '1893456000',
        '2030-01-01T00:00:00+24:00',
        '',
      ]),
      random.pick([
        '2030-01-01t00:00:00z',
        '9999-12-31T23:59:59Z',
        '0001-01-01T00:00:00Z',
        '2030-01-01T00:00:00.123456789Z',
        '2030-01-01T00:00:00+14:00',
        '2030-01-01T00:00:00-00:00',
      ]),
    ];
  }
  if (format === 'date') {
    return ['2030-02-30', random.pick(['2030-13-01', '30-01-01', 'today', '2030-01-01T00:00:00Z'])];
  }
  return [`not-a-${format}`, ''];
}

/** Whether a value satisfies a format as the documents' validators read it (ajv-formats, full). */
export function formatValid(format: string, value: string): boolean {
  const definition = (fullFormats as Record<string, unknown>)[format];
  if (definition instanceof RegExp) {
    return definition.test(value);
  }
  if (typeof definition === 'function') {
    return Boolean(definition(value));
  }
  if (definition && typeof definition === 'object' && 'validate' in definition) {
    const validate = (definition as { validate: RegExp | ((value: string) => boolean) }).validate;
    return validate instanceof RegExp ? validate.test(value) : Boolean(validate(value));
  }
  return true;
}

export function typeOf(schema: Schema): string | undefined {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return types.find((type) => type !== 'null') ?? (schema.properties ? 'object' : undefined);
}

function allowsType(schema: Schema, value: unknown): boolean {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length === 0) {
    return true;
  }
  return types.some((type) => {
    switch (type) {
      case 'null':
        return value === null;
      case 'array':
        return Array.isArray(value);
      case 'object':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      case 'integer':
        return Number.isInteger(value);
      default:
        return typeof value === type;
    }
  });
}

/**
 * encodeURIComponent, except that a lone surrogate becomes its WTF-8 bytes (`%ED%A0%80`) rather
 * than an exception: a value no UTF-8 decoder accepts, which is the point of sending it.
 */
export function percentEncode(value: string): string {
  return value.replace(
    /[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]|[^\ud800-\udfff]+/g,
    (part) => {
      if (part.length === 1 && /[\ud800-\udfff]/.test(part)) {
        const unit = part.charCodeAt(0);
        return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
          .map((byte) => `%${byte.toString(16).toUpperCase()}`)
          .join('');
      }
      return encodeURIComponent(part);
    },
  );
}

/** A value for a case's description: short, with its length when long. */
export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 40)}… (${[...String(value)].length} chars)` : text;
}
