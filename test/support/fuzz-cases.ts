import type { ContractDocument, DocumentOperation, Schema } from './documents.ts';

// The cases of the negative-input fuzz run (test/support/fuzz.ts sends them): per operation of a
// document, requests wrong in exactly one way, and valid ones, written as data. The same seed
// gives the same cases, and each operation draws from a generator of its own, so adding an
// operation leaves the other operations' cases as they were.

/** What a case changes in the operation's valid request. */
export type Edit =
  | { type: 'none' }
  /** Sets a top-level field of the body; without `value`, removes it. */
  | { type: 'field'; name: string; value?: unknown }
  /** Sends `raw` as the body, with this Content-Type (`null`: none). */
  | { type: 'body'; raw: string; contentType: string | null }
  /** Sets (`null`: removes) a query parameter, its value sent as written. */
  | { type: 'query'; name: string; value: string | null }
  /** The segment of one path parameter, sent as written. */
  | { type: 'segment'; name: string; raw: string }
  | { type: 'trailing-slash' }
  /** Sets (`null`: removes) a header once the request carries its credentials. */
  | { type: 'header'; name: string; value: string | null }
  /** One of the target's own ways of getting a security scheme wrong. */
  | { type: 'variant'; name: string };

export const kinds = [
  'valid',
  'missing-field',
  'wrong-type',
  'out-of-range',
  'too-long',
  'bad-enum',
  'bad-format',
  'unknown-field',
  'unknown-query',
  'malformed-json',
  'wrong-content-type',
  'empty-body',
  'huge-body',
  'odd-path',
  'no-credentials',
  'bad-credentials',
  'bad-signature',
] as const;

export type Kind = (typeof kinds)[number];

/** One request of the run: an operation's valid request with one thing changed, or none. */
export interface FuzzCase {
  /** `getTask#12`: the operation and the case's place among its cases. */
  id: string;
  operationId: string;
  kind: Kind;
  /** Where the change is: `body.title`, `query.limit`, `path.taskId`, `header.authorization`… */
  where: string;
  /** What is wrong, for people: `bounty = 0 (minimum 1)`. */
  detail: string;
  edit: Edit;
}

/** A target's own ways of getting one security scheme wrong, by name. */
export interface Variants {
  scheme: string;
  names: string[];
}

interface GenerateOptions {
  seed: number;
  casesPerOperation?: number;
  /** A cap on the whole run; the number per operation shrinks to fit. */
  maxRequests?: number;
  variants?: Variants;
}

type Draft = Omit<FuzzCase, 'id' | 'operationId'>;

function draft(kind: Kind, where: string, detail: string, edit: Edit): Draft {
  return { kind, where, detail, edit };
}

const huge = 'x'.repeat(2 * 1024 * 1024);

/** The cases of a run, `casesPerOperation` per operation (never more than `maxRequests` in all). */
export function generateCases(document: ContractDocument, options: GenerateOptions): FuzzCase[] {
  const { operations } = document;
  const perOperation = Math.min(
    options.casesPerOperation ?? 140,
    Math.floor((options.maxRequests ?? 4000) / operations.length),
  );
  const cases = operations.flatMap((operation) => {
    const random = new Random(operationSeed(options.seed, operation.operationId));
    return operationCases(
      { document, operation, random, variants: options.variants },
      perOperation,
    );
  });
  return new Random(options.seed).shuffle(cases);
}

/** What the probes of one operation are drawn from. */
interface Draw {
  document: ContractDocument;
  operation: DocumentOperation;
  random: Random;
  variants?: Variants;
}

/** `count` cases of one operation: distinct probes, drawn round after round, then the valid one. */
function operationCases(draw: Draw, count: number): FuzzCase[] {
  const probeCount = count - Math.min(count, Math.max(1, Math.round(count * 0.08)));
  // Two cases that read the same are the same case.
  const chosen = new Map<string, Draft>();
  for (let round = 0; round < 20 && chosen.size < probeCount; round++) {
    for (const probe of draw.random.shuffle(probes(draw))) {
      const key = `${probe.where} ${probe.detail}`;
      if (chosen.size < probeCount && !chosen.has(key)) {
        chosen.set(key, probe);
      }
    }
  }
  const drafts = [...chosen.values()];
  while (drafts.length < count) {
    drafts.push(draft('valid', 'request', 'the valid request', { type: 'none' }));
  }
  const { operationId } = draw.operation;
  return drafts.map((item, index) => ({ id: `${operationId}#${index}`, operationId, ...item }));
}

/** Every probe of an operation, its values drawn afresh. */
function probes(draw: Draw): Draft[] {
  return [
    ...credentialProbes(draw),
    ...pathProbes(draw),
    ...queryProbes(draw),
    ...bodyProbes(draw),
  ];
}

/** An HS256-looking JWT for the demo agent that expired in 2020, signed with nobody's key. */
const expiredJwt = [
  { alg: 'HS256', typ: 'JWT' },
  { sub: '550e8400-e29b-41d4-a716-446655440001', iat: 1577836800, exp: 1577840400 },
  'signature-of-nobody',
]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .join('.');

const badCredentials: Record<string, [detail: string, value: string][]> = {
  http: [
    ['a garbage bearer', 'Bearer garbage'],
    ['an expired-looking JWT signed by nobody', `Bearer ${expiredJwt}`],
  ],
  apiKey: [['a garbage key', 'garbage']],
};

/** Per scheme of the operation's requirement: no credentials, wrong ones, the target's variants. */
function credentialProbes({ document, operation, variants }: Draw): Draft[] {
  return operation.security.flatMap((name) => {
    const scheme = document.schemes[name];
    const header = scheme?.type === 'http' ? 'authorization' : scheme?.name?.toLowerCase();
    if (!scheme || !header) {
      throw new Error(`${operation.operationId}: no header carries scheme ${name}`);
    }
    const where = `header.${header}`;
    return [
      draft('no-credentials', where, `no ${header}`, { type: 'header', name: header, value: null }),
      ...(badCredentials[scheme.type] ?? []).map(([detail, value]) =>
        draft('bad-credentials', where, detail, { type: 'header', name: header, value }),
      ),
      ...(variants?.scheme === name ? variants.names : []).map((variant) =>
        draft('bad-signature', 'credentials', variant, { type: 'variant', name: variant }),
      ),
    ];
  });
}

const oddSegments: [raw: string, detail: string][] = [
  ['%zz', 'a malformed percent escape'],
  ['..', 'a dot-dot segment'],
  ['%2e%2e', 'an encoded dot-dot segment'],
  ['%00', 'an encoded NUL'],
  ['%2F', 'an encoded slash'],
  ['', 'an empty segment'],
  // Node sends a code point under 256 as that one byte.
  ['caf\u00e9', 'a raw non-ASCII byte'],
];

function pathProbes({ operation, random }: Draw): Draft[] {
  const drafts = [draft('odd-path', 'path', 'a trailing slash', { type: 'trailing-slash' })];
  for (const { name } of operation.parameters.filter((parameter) => parameter.in === 'path')) {
    const segment = (detail: string, raw: string) =>
      draft('odd-path', `path.${name}`, `${name} = ${detail}`, { type: 'segment', name, raw });
    for (const [raw, detail] of oddSegments) {
      drafts.push(segment(`${detail} (${JSON.stringify(raw)})`, raw));
    }
    drafts.push(segment('2 KB of unicode', encodeURIComponent(random.unicode(700))));
  }
  return drafts;
}

function queryProbes({ document, operation, random }: Draw): Draft[] {
  const unknown: Edit = { type: 'query', name: 'unknown', value: '1' };
  const drafts = [draft('unknown-query', 'query.unknown', 'an unknown parameter', unknown)];
  const parameters = operation.parameters.filter((parameter) => parameter.in === 'query');
  for (const { name, required, schema } of parameters) {
    const where = `query.${name}`;
    if (required) {
      drafts.push(
        draft('missing-field', where, `no ${name}`, { type: 'query', name, value: null }),
      );
    }
    for (const [kind, value, note] of valueProbes(document.schema(schema), random, true)) {
      const edit: Edit = { type: 'query', name, value: encodeURIComponent(String(value)) };
      drafts.push(draft(kind, where, `${name} = ${describe(value)}${note}`, edit));
    }
  }
  return drafts;
}

const otherContentTypes = [
  'text/plain',
  'application/xml',
  'application/json',
  'text/markdown',
  'multipart/form-data; boundary=fuzz',
  null,
];

const malformedJson: [raw: string, detail: string][] = [
  ['{"title": "Summarise', 'JSON cut off in a string'],
  ['{"title": }', 'a member without a value'],
  ["{'title': 'x'}", 'single quotes'],
  ['{"title": "x",}', 'a trailing comma'],
  ['not json', 'plain text'],
];

const notObjects: [raw: string, detail: string][] = [
  ['[]', 'an array'],
  ['"text"', 'a string'],
  ['42', 'a number'],
  ['null', 'null'],
];

function bodyProbes(draw: Draw): Draft[] {
  const { operation, random } = draw;
  if (!operation.requestBody) {
    return [];
  }
  const { contentType, schema } = operation.requestBody;
  const raw = (kind: Kind, detail: string, body: string) =>
    draft(kind, 'body', detail, { type: 'body', raw: body, contentType });
  const other = random.pick(otherContentTypes.filter((type) => type !== contentType));
  const otherEdit: Edit = { type: 'header', name: 'content-type', value: other };
  const drafts = [
    raw('empty-body', `an empty body sent as ${contentType}`, ''),
    draft(
      'wrong-content-type',
      'header.content-type',
      `Content-Type: ${other ?? '(none)'}`,
      otherEdit,
    ),
  ];
  if (contentType.includes('json')) {
    const [body, detail] = random.pick(malformedJson);
    drafts.push(raw('malformed-json', detail, body));
  }
  if (schema.properties) {
    const [body, detail] = random.pick(notObjects);
    return [
      ...drafts,
      raw('wrong-type', `a body of ${detail}`, body),
      ...fieldProbes(draw, schema),
    ];
  }
  // A text body: the body is the value.
  const values = valueProbes(schema, random, true).map(([kind, value, note]) =>
    raw(kind, `a body of ${describe(value)}${note}`, String(value)),
  );
  return [...drafts, ...values, raw('huge-body', 'a 2 MiB body', huge)];
}

/** Per field of an object body: missing, each wrong value; an unknown field; a 2 MiB one. */
function fieldProbes({ document, random }: Draw, object: Schema): Draft[] {
  const drafts = (object.required ?? []).map((name) =>
    draft('missing-field', `body.${name}`, `no ${name}`, { type: 'field', name }),
  );
  const properties = Object.entries(object.properties ?? {});
  for (const [name, property] of properties) {
    for (const [kind, value, note] of valueProbes(document.schema(property), random, false)) {
      const detail = `${name} = ${describe(value)}${note}`;
      drafts.push(draft(kind, `body.${name}`, detail, { type: 'field', name, value }));
    }
  }
  const unknown: Edit = { type: 'field', name: 'unknown', value: 1 };
  drafts.push(draft('unknown-field', 'body.unknown', 'an unknown field', unknown));
  const text = properties.find(([, property]) => isPlainString(document.schema(property)));
  if (text) {
    const [name] = text;
    drafts.push(
      draft('huge-body', `body.${name}`, `a 2 MiB ${name}`, { type: 'field', name, value: huge }),
    );
  }
  return drafts;
}

type Probe = [kind: Kind, value: unknown, note: string];

/** Values a schema refuses, each in one way; `text` for values sent as text (query, text body). */
function valueProbes(schema: Schema, random: Random, text: boolean): Probe[] {
  const type = typeOf(schema);
  const probes: Probe[] = [];
  const wrong = !text ? jsonValues : type === 'integer' ? notIntegers : [];
  const wrongTyped = wrong.filter((value) => !allowsType(schema, value));
  if (wrongTyped.length > 0) {
    probes.push(['wrong-type', random.pick(wrongTyped), ` (not ${type})`]);
  }
  const render = (value: number) => (text ? String(value) : value);
  const { minimum, maximum } = schema;
  if (minimum !== undefined) {
    const below = random.pick([minimum - 1, -(2 ** 31)].filter((value) => value < minimum));
    probes.push(['out-of-range', render(below), ` (minimum ${minimum})`]);
  }
  if (maximum !== undefined) {
    const above = random.pick([maximum + 1, 2 ** 31].filter((value) => value > maximum));
    probes.push(['out-of-range', render(above), ` (maximum ${maximum})`]);
  }
  if (isPlainString(schema) && schema.maxLength !== undefined) {
    const value = random.pick(['x', 'é', '漢']).repeat(schema.maxLength + 1);
    probes.push(['too-long', value, ` (maxLength ${schema.maxLength})`]);
  }
  if (schema.enum) {
    const member = String(random.pick(schema.enum));
    const bad = [member.toUpperCase(), `${member} `, 'unknown', ''].filter(
      (value) => !schema.enum?.includes(value),
    );
    probes.push(['bad-enum', random.pick(bad), '']);
  }
  for (const [value, note = ''] of badFormats[schema.format ?? ''] ?? []) {
    probes.push(['bad-format', value, note && ` (${note})`]);
  }
  return probes;
}

/** JSON values of every type; a wrong-type probe picks one the schema does not allow. */
const jsonValues: unknown[] = ['text', 42, 4.5, true, null, [], { a: 1 }];

/** Query values that are not integers. */
const notIntegers = ['abc', '0x10', '1e3', '1.5', ''];

const badFormats: Record<string, [value: string, note?: string][]> = {
  uuid: [['not-a-uuid'], ['660e8400e29b41d4a716446655440002', 'no hyphens']],
  'date-time': [
    ['2030-06-30T23:59:60Z', 'a leap second'],
    ['2030-02-30T00:00:00Z', 'February 30'],
    ['2030-01-01', 'a date alone'],
    ['tomorrow'],
  ],
  date: [['2030-02-30', 'February 30']],
  uri: [['not a uri']],
};

/** A string of any content: no enum, format or pattern. */
function isPlainString(schema: Schema): boolean {
  return typeOf(schema) === 'string' && !schema.enum && !schema.format && !schema.pattern;
}

function typeOf(schema: Schema): string | undefined {
  const types = [schema.type ?? []].flat();
  return types.find((type) => type !== 'null') ?? (schema.properties ? 'object' : undefined);
}

function allowsType(schema: Schema, value: unknown): boolean {
  const types = [schema.type ?? []].flat();
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return (
    types.length === 0 ||
    types.includes(actual) ||
    (types.includes('integer') && Number.isInteger(value))
  );
}

/** A value for a case's description: short, with its length when long. */
function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 40)}… (${[...String(value)].length} chars)` : text;
}

/** A seed of one operation's cases: the run's seed mixed with the operation's name (FNV-1a). */
function operationSeed(seed: number, operationId: string): number {
  let hash = (2166136261 ^ seed) >>> 0;
  for (const char of operationId) {
    hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 16777619) >>> 0;
  }
  return hash;
}

/** A small seeded PRNG (mulberry32): the same seed, the same sequence, on every machine. */
class Random {
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

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const keyed = items.map((item) => ({ item, key: this.next() }));
    return keyed.sort((a, b) => a.key - b.key).map(({ item }) => item);
  }

  /** `length` code points from Latin-1, CJK, Arabic, combining marks and emoji. */
  unicode(length: number): string {
    const ranges = [
      [0xe0, 0xff],
      [0x4e00, 0x9fff],
      [0x0600, 0x06ff],
      [0x0300, 0x036f],
      [0x1f600, 0x1f64f],
    ] as const;
    return Array.from({ length }, () => {
      const [low, high] = this.pick(ranges);
      return String.fromCodePoint(low + Math.floor(this.next() * (high - low + 1)));
    }).join('');
  }
}
