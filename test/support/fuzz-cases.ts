import type { ContractDocument, DocumentOperation, Schema } from './documents.ts';

// The cases of the negative-input fuzz run (test/support/fuzz.ts sends them): per operation of a
// document, requests wrong in exactly one way, and a few valid ones, written as data. Each case
// draws a kind, then a place and a value of that kind, from a generator of the operation's own:
// the same seed gives the same cases, and adding an operation leaves the others' as they were.
// Two cases that change the request alike are one: every probe of a run is a distinct request.

/** What a case changes in the operation's valid request. */
export type Edit =
  | { type: 'none' }
  /** Sets a field of the body (`path`: a field, or a field of one) to `json`, JSON text sent
   * as written; without `json`, removes it. */
  | { type: 'field'; path: string[]; json?: string }
  /** Sends `raw` as the body, with this Content-Type (`null`: none). */
  | { type: 'body'; raw: string; contentType: string | null }
  /** Sets (`null`: removes) a query parameter, its value sent as written. */
  | { type: 'query'; name: string; value: string | null }
  /** The segment of one path parameter, sent as written. */
  | { type: 'segment'; name: string; raw: string }
  /** Appends `raw` to the path, before the query. */
  | { type: 'suffix'; raw: string }
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

/** A target's own ways of getting one security scheme wrong, by name; a `#` in a name stands
 * for a number each case draws (`X-Timestamp 301+# s behind`). */
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

/** A draft where `ok`, else none. */
function probe(ok: unknown, ...args: Parameters<typeof draft>): Draft | undefined {
  return ok ? draft(...args) : undefined;
}

/** The cases of a run, `casesPerOperation` per operation (never more than `maxRequests` in all). */
export function generateCases(document: ContractDocument, options: GenerateOptions): FuzzCase[] {
  const { operations } = document;
  const perOperation = Math.min(
    options.casesPerOperation ?? 140,
    Math.floor((options.maxRequests ?? 4000) / operations.length),
  );
  const cases = operations.flatMap((operation) => {
    const random = new Random(operationSeed(options.seed, operation.operationId));
    const draw = { document, operation, random, variants: options.variants };
    return operationCases({ ...draw, slots: slotsOf(document, operation) }, perOperation);
  });
  return new Random(options.seed).shuffle(cases);
}

/** What the probes of one operation are drawn from. */
interface Draw {
  document: ContractDocument;
  operation: DocumentOperation;
  random: Random;
  variants?: Variants;
  slots: Slot[];
}

/**
 * `count` cases of one operation: distinct probes of kinds drawn at random, then valid ones (5%,
 * at least one; more only where the operation has fewer ways of being wrong).
 */
function operationCases(draw: Draw, count: number): FuzzCase[] {
  const probeCount = count - Math.min(count, Math.max(1, Math.round(count * 0.05)));
  const chosen = new Map<string, Draft>();
  const makers = Object.values(probeMakers);
  // Huge strings are constants: their length and first characters tell them apart.
  const short = (_: string, value: unknown) =>
    typeof value === 'string' && value.length > 1e6 ? `${value.length}${value.slice(0, 3)}` : value;
  for (let stale = 0; stale < 300 && chosen.size < probeCount; stale++) {
    const drawn = draw.random.pick(makers)(draw);
    const key = JSON.stringify(drawn?.edit ?? null, short);
    if (drawn && !chosen.has(key)) {
      chosen.set(key, drawn);
      stale = 0;
    }
  }
  const drafts = [...chosen.values()];
  while (drafts.length < count) {
    drafts.push(draft('valid', 'request', 'the valid request', { type: 'none' }));
  }
  const { operationId } = draw.operation;
  return drafts.map((item, index) => ({ id: `${operationId}#${index}`, operationId, ...item }));
}

/** A place a value goes: a query parameter, a text body, a body field or a field of one. */
interface Slot {
  where: string;
  schema: Schema;
  /** Sent as text (query, text body), else as JSON. */
  text: boolean;
  /** Sends `value` as written; `undefined` leaves the slot out. */
  edit: (value?: string) => Edit;
  required?: boolean;
  /** The object a field is in, where an unknown field can go. */
  parent?: { path: string[]; schema: Schema };
}

function slotsOf(document: ContractDocument, operation: DocumentOperation): Slot[] {
  const slots = operation.parameters
    .filter((parameter) => parameter.in === 'query')
    .map(({ name, required, schema }): Slot => {
      const edit = (value?: string): Edit => ({ type: 'query', name, value: encodeOrNull(value) });
      const where = `query.${name}`;
      return { where, schema: document.schema(schema), text: true, edit, required };
    });
  const body = operation.requestBody;
  if (body && !body.schema.properties) {
    const edit = (raw = ''): Edit => ({ type: 'body', raw, contentType: body.contentType });
    slots.push({ where: 'body', schema: body.schema, text: true, edit });
  }
  const fields = (parent: { path: string[]; schema: Schema }, value: unknown) => {
    for (const [name, property] of Object.entries(parent.schema.properties ?? {})) {
      const [schema, path] = [document.schema(property), [...parent.path, name]];
      const required = parent.schema.required?.includes(name);
      const edit = (json?: string): Edit => ({ type: 'field', path, json });
      slots.push({ where: `body.${path.join('.')}`, schema, text: false, edit, required, parent });
      // One level of nesting: the fields of an object the valid body has.
      const inner = (value as Record<string, unknown> | undefined)?.[name];
      if (path.length === 1 && schema.properties && inner && typeof inner === 'object') {
        fields({ path, schema }, inner);
      }
    }
  };
  if (body?.schema.properties) {
    fields({ path: [], schema: body.schema }, validBody(operation, document));
  }
  return slots;
}

/** What `run` returns, or `undefined` where it throws. */
function attempt<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}

const validBody = ({ operationId }: DocumentOperation, document: ContractDocument) =>
  attempt(() => document.validRequest(operationId).body);

/** A value a schema refuses in one way, what is wrong with it, and whether it is JSON already. */
type Value = [value: string, note: string, literal?: boolean] | undefined;

/** Probes of values of one kind: a slot drawn among those the kind has a value for. */
function valueProbe(kind: Kind, make: (schema: Schema, random: Random, text: boolean) => Value) {
  return ({ slots, random }: Draw): Draft | undefined => {
    const values = slots.flatMap((slot) => {
      const value = make(slot.schema, random, slot.text);
      return value ? [[slot, ...value] as const] : [];
    });
    const [slot, value = '', note, literal] = pickOf(random, values) ?? [];
    const sent = slot?.text || literal ? value : JSON.stringify(value);
    const name = slot?.where.replace(/^(query|body)\.?/, '') || 'the body';
    return slot && draft(kind, slot.where, `${name} = ${cut(sent)}${note}`, slot.edit(sent));
  };
}

/** Literals past the bounds: -0 and 2^53 + 1 keep their text; the far ones are 1e308 written out. */
const farOut = `-0 -2147483648 2147483648 -9007199254740993 9007199254740993 1${'0'.repeat(308)}`;

/** A probe of each kind, its place and value drawn afresh; `undefined` where the kind has none. */
const probeMakers: Record<Exclude<Kind, 'valid'>, (draw: Draw) => Draft | undefined> = {
  'missing-field': ({ slots, random }) => {
    const required = slots.filter((item) => item.required);
    const slot = pickOf(random, required);
    return slot && draft('missing-field', slot.where, `no ${slot.where}`, slot.edit());
  },
  'wrong-type': valueProbe('wrong-type', (schema, random, text) => {
    const [type, n] = [typeOf(schema), random.int(100)];
    const texts = [random.word(), `0x${n.toString(16)}`, `${n}abc`, '', ` ${n}`, 'NaN'];
    if (text) {
      const pool = type === 'integer' ? [...texts, `${n}.5`, `${n}e1`] : texts;
      return type === 'integer' || type === 'number'
        ? [random.pick(pool), ` (not ${type})`]
        : undefined;
    }
    // For an integer, a fraction within the range: wrong in its type alone.
    const [low, high] = [schema.minimum ?? -1000, schema.maximum ?? 1000];
    const scalar = () => random.pick([random.int(1e6), random.word(), true, null]);
    const pool = [
      ...[type === 'integer' ? low + random.int(high - low) + 0.5 : n / 8, n % 2 === 0, null],
      ...[random.pick([[], [scalar()], [scalar(), scalar()]]), String(random.int(1e6)), ''],
      random.pick([{}, { [random.word()]: scalar() }]),
    ].filter((value) => !allowsType(schema, value));
    const value = pickOf(random, pool);
    return pool.length > 0 ? [JSON.stringify(value), ` (not ${type})`, true] : undefined;
  }),
  'out-of-range': valueProbe('out-of-range', (schema, random, text) => {
    const { minimum: low = -Infinity, maximum: high = Infinity } = schema;
    const { minLength = 0 } = schema as { minLength?: number };
    const pool = [low - 1, low - 2 - random.int(1e9), high + 1, high + 2 + random.int(1e9)]
      .map(String)
      .concat(farOut.split(' '), `-${farOut.slice(-309)}`, text ? [] : ['1e308', '-1e308'])
      .filter((value) => Number(value) < low || Number(value) > high);
    const value = pickOf(random, pool);
    const note = ` (${Number(value) < low ? `minimum ${low}` : `maximum ${high}`})`;
    const short: Value = [random.text(random.int(minLength)), ` (minLength ${minLength})`];
    if (value !== undefined) {
      return [value, note, true];
    }
    return isPlainString(schema) && minLength > 0 ? short : undefined;
  }),
  'too-long': valueProbe('too-long', (schema, random) => {
    const { maxLength = Infinity } = schema;
    const length = maxLength + 1 + (random.next() < 0.3 ? 0 : random.int(Math.min(maxLength, 999)));
    const note = ` (${length} characters, maxLength ${maxLength})`;
    return isPlainString(schema) && length < Infinity ? [random.text(length), note] : undefined;
  }),
  'bad-enum': valueProbe('bad-enum', (schema, random) => {
    const members = schema.enum?.filter((member) => typeof member === 'string') ?? [];
    const member = members.length === schema.enum?.length ? pickOf(random, members) : undefined;
    const pool = [member?.toUpperCase(), ` ${member}`, `${member} `, `${member}\u200f`]
      .concat([member?.slice(1), `${member}${random.word()}`, random.word(), ''])
      .filter((value) => value !== undefined && !schema.enum?.includes(value));
    return member === undefined ? undefined : [random.pick(pool) ?? '', ''];
  }),
  'bad-format': valueProbe('bad-format', (schema, random) => {
    const [value, note] = pickOf(random, badFormats[schema.format ?? '']?.(random) ?? []) ?? [];
    return value === undefined ? undefined : [value, note ? ` (${note})` : ''];
  }),
  'unknown-field': ({ slots, random }) => {
    const parents = slots.flatMap(({ parent }) => parent ?? []);
    const closed = parents.filter((item) => item.schema.additionalProperties === false);
    const parent = pickOf(random, closed);
    const known = Object.keys(parent?.schema.properties ?? {});
    const name = random.pick([random.word(), `${random.pick(known)}_`, random.unicode(8)]);
    const json = JSON.stringify(random.pick([random.int(1e6), random.word(), true, null, {}, []]));
    const path = [...(parent?.path ?? []), name];
    const edit: Edit = { type: 'field', path, json };
    const where = `body.${path.join('.')}`;
    return probe(parent && !known.includes(name), 'unknown-field', where, `= ${json}`, edit);
  },
  'unknown-query': ({ operation, random }) => {
    const known = operation.parameters.map((parameter) => encode(parameter.name));
    const names = [random.word(), `${random.pick([...known, 'q'])}_`, encode(random.unicode(8))];
    const [name, value] = [random.pick(names), random.pick(['1', random.word(), '', 'é'])];
    const edit: Edit = { type: 'query', name, value: encode(value) };
    return probe(!known.includes(name), 'unknown-query', `query.${name}`, `= ${value}`, edit);
  },
  'malformed-json': ({ document, operation, random }) => {
    const contentType = operation.requestBody?.contentType ?? '';
    const valid = JSON.stringify(validBody(operation, document) ?? {});
    const [raw, detail] = random.pick(malformedJson)(valid, random);
    const ok = contentType.includes('json') && attempt(() => JSON.parse(raw)) === undefined;
    return probe(ok, 'malformed-json', 'body', detail, { type: 'body', raw, contentType });
  },
  'wrong-content-type': ({ operation, random }) => {
    const type = operation.requestBody?.contentType.split(';')[0] ?? '';
    const value = random.pick([...otherContentTypes, `${random.word()}/${random.word()}`]);
    const edit: Edit = { type: 'header', name: 'content-type', value };
    const where = 'header.content-type';
    return probe(type && !value?.startsWith(type), 'wrong-content-type', where, `${value}`, edit);
  },
  'empty-body': ({ operation, random }) => {
    const contentType = operation.requestBody?.contentType ?? '';
    const raw = contentType.includes('json') ? random.pick(['', ' ', '\n', '\r\n\t ']) : '';
    const edit: Edit = { type: 'body', raw, contentType };
    return probe(contentType, 'empty-body', 'body', `a body of ${JSON.stringify(raw)}`, edit);
  },
  'huge-body': ({ slots, random }) => {
    const plain = slots.filter((item) => !item.text && isPlainString(item.schema));
    const slot = pickOf(random, [...plain, ...slots.filter((item) => item.where === 'body')]);
    const char = random.pick(Object.keys(huge));
    const value = slot?.text ? huge[char] : `"${huge[char]}"`;
    return slot && draft('huge-body', slot.where, `2 MiB of ${char}`, slot.edit(value));
  },
  'odd-path': ({ operation, random }) => {
    const names = operation.parameters.filter((item) => item.in === 'path').map((p) => p.name);
    const name = random.pick([...names, '']);
    const suffixes = ['/', '//', '/.', '/%2e', ';', '%20', `/${random.word()}`];
    const [raw, detail] = name ? random.pick(oddSegments)(random) : [random.pick(suffixes), ''];
    const edit: Edit = name ? { type: 'segment', name, raw } : { type: 'suffix', raw };
    const [where, text] = [name ? `path.${name}` : 'path', `${detail} ${cut(JSON.stringify(raw))}`];
    // No empty last segment: that is another operation's path with a trailing slash.
    const last = raw === '' && operation.path.endsWith(`{${name}}`);
    return probe(!last, 'odd-path', where, name ? text : `${raw} appended`, edit);
  },
  'no-credentials': (draw) => credentials(draw, 'no-credentials'),
  'bad-credentials': (draw) => credentials(draw, 'bad-credentials'),
  'bad-signature': ({ operation, random, variants }) => {
    const name = random.pick(variants?.names ?? ['']).replace('#', String(random.int(1e6)));
    const signed = variants && operation.security.includes(variants.scheme);
    return probe(signed, 'bad-signature', 'credentials', name, { type: 'variant', name });
  },
};

/** For one scheme of the operation's requirement, no credentials or garbage ones. */
function credentials({ document, operation, random }: Draw, kind: Kind): Draft | undefined {
  const name = pickOf(random, operation.security) ?? '';
  const scheme = document.schemes[name];
  const header = scheme?.type === 'http' ? 'authorization' : (scheme?.name?.toLowerCase() ?? '');
  if (name && !header) {
    throw new Error(`${operation.operationId}: no header carries scheme ${name}`);
  }
  const [value, detail] = scheme?.type === 'http' ? badBearer(random) : garbage(random, 'key');
  const edit: Edit = {
    type: 'header',
    name: header,
    value: kind === 'no-credentials' ? null : value,
  };
  return probe(name, kind, `header.${header}`, edit.value === null ? `no ${header}` : detail, edit);
}

/** Random visible ASCII, or hex: never a character a header cannot carry. */
function garbage(random: Random, what: string): [string, string] {
  const chars = random.pick([hex, visible]);
  const value = random.text(random.int(200), chars);
  return [value, `a garbage ${chars === hex ? 'hex ' : ''}${what} of ${value.length} characters`];
}

/** Claims of a JWT signed by nobody, one of them off. */
const badClaims: [string, (random: Random) => Record<string, unknown>][] = [
  ['expired', (random) => ({ exp: 1e9 + random.int(7e8) })],
  ['issued in the future', (random) => ({ iat: 4e9 + random.int(1e8) })],
  ['not valid yet', (random) => ({ nbf: 4e9 + random.int(1e8) })],
  ['a sub that is not a uuid', (random) => ({ sub: random.word() })],
  ['a numeric sub', (random) => ({ sub: random.int(1e6) })],
  ['no sub', () => ({ sub: undefined })],
  ['a string exp', (random) => ({ exp: random.word() })],
];

function badBearer(random: Random): [string, string] {
  if (random.next() < 0.5) {
    const scheme = random.pick(['Bearer', 'bearer', 'Basic', 'Token', '']);
    const [token, detail] = garbage(random, 'token');
    return [`${scheme} ${token}`.trim(), `${scheme || 'no scheme'}, ${detail}`];
  }
  const [claim, change] = random.pick(badClaims);
  const alg = random.pick(['HS256', 'none', 'RS256', 'HS512']);
  const claims = { sub: random.uuid(), iat: 1.7e9 + random.int(1e8), exp: 4e9, ...change(random) };
  const signature = alg === 'none' ? '' : random.text(43, letters);
  const token = [{ alg, typ: 'JWT' }, claims, signature].map((part) =>
    typeof part === 'string' ? part : Buffer.from(JSON.stringify(part)).toString('base64url'),
  );
  return [`Bearer ${token.join('.')}`, `a ${alg} JWT with ${claim}, signed by nobody`];
}

/** Odd path segments, each drawn afresh; Node sends a code point under 256 as that one byte. */
const oddSegments: ((random: Random) => [raw: string, detail: string])[] = [
  (random) => [random.pick(['%zz', '..', '%2e%2e', '%00', '%2F', '']), 'escape, dots, NUL, slash'],
  (random) => [random.text(2 + 2 * random.int(6), bytes).replace(/../g, '%$&'), 'random bytes'],
  (random) => [encode(random.unicode(700)), 'percent-encoded unicode'],
  (random) => [random.text(1 + random.int(12), punctuation), 'raw punctuation, Latin-1'],
  (random) => {
    const [id, at] = [random.uuid(), random.int(36)];
    return [`${id.slice(0, at)}${random.pick([...'gz_~'])}${id.slice(at + 1)}`, 'a uuid, one off'];
  },
  (random) => [String(random.int(1e12) - 1e6), 'a number'],
];

/** Malformed JSON, made from the valid body's text (a duplicate key is valid JSON: none here). */
const malformedJson: ((text: string, random: Random) => [raw: string, detail: string])[] = [
  (text, random) => {
    const at = 1 + random.int(text.length - 1);
    return [text.slice(0, at), `JSON cut off after ${at} of ${text.length} characters`];
  },
  (text) => [text.replace(/}$/, ',}'), 'a trailing comma'],
  (text) => [text.replaceAll('"', "'"), 'single quotes'],
  (text) => [`\ufeff${text}`, 'a byte order mark'],
  (text) => [text.replace(/"([^"]+)":/g, '$1:'), 'unquoted keys'],
  (text, random) => [`${text.slice(0, -1)} /* ${random.word()} */}`, 'a comment'],
  (text, random) => [text + random.pick(['}', ']', ',', '{}', random.word()]), 'trailing garbage'],
  (text, random) => {
    const char = random.pick(span(0, 0x1f));
    return [text.replace(/:"/, `:"${char}`), `a raw ${JSON.stringify(char)} in a string`];
  },
  (text, random) => {
    const values = [...text.matchAll(/:("(?:[^"\\]|\\.)*"|[-\d.eE+]+|true|false|null)/g)];
    const match = pickOf(random, values);
    const at = 1 + (match?.index ?? 0);
    const token = random.pick(['NaN', 'Infinity', '-Infinity', 'undefined', "'x'", '01', '.5']);
    const raw = `${text.slice(0, at)}${token}${text.slice(at + (match?.[1]?.length ?? 0))}`;
    return [match ? raw : `{"x":${token}}`, `a value of ${token}`];
  },
];

const otherContentTypes = [
  ...['text/plain', 'application/xml', 'application/json', 'text/markdown', '', null],
  ...['application/x-www-form-urlencoded', 'multipart/form-data; boundary=fuzz'],
];

/** Strings a format refuses, drawn afresh; and a leap second, which RFC 3339 allows: that case
 * checks the server does not choke on one. */
const badFormats: Record<string, (random: Random) => [value: string, note?: string][]> = {
  uuid: (random) => {
    const [id, at] = [random.uuid(), random.int(36)];
    return [
      ['not-a-uuid'],
      [id.replaceAll('-', ''), 'no hyphens'],
      [`${id.slice(0, at)}g${id.slice(at + 1)}`, 'a non-hex character'],
      [id.slice(0, -1 - random.int(4)), 'too short'],
      [`{${id}}`, 'in braces'],
    ];
  },
  'date-time': (random) => {
    const [y, at] = [2030 + random.int(70), random.int(5)];
    const [mo, d] = [1 + random.int(9), 10 + random.int(9)];
    const date = `${y}-0${mo}-${d}`;
    // One of month, day, hour, minute, second past its limit.
    const parts = [`0${mo}`, `${d}`, '12', '00', '00'];
    const limit = [12, 31, 23, 59, 60][at] ?? 0;
    parts[at] = String(limit + 1 + random.int(30));
    const [m, dd, h, mi, s] = parts;
    return [
      ['2030-06-30T23:59:60Z', 'a leap second'],
      [`${y}-02-30T00:00:00Z`, 'February 30'],
      [date, 'a date alone'],
      [`${date}T12:00:00`, 'no offset'],
      [`${y}-${m}-${dd}T${h}:${mi}:${s}Z`, `${parts[at]} past ${limit}`],
      [random.word()],
    ];
  },
  date: (random) => [[`${2030 + random.int(70)}-02-30`], [`2030-${13 + random.int(87)}-01`]],
  uri: (random) => [['not a uri'], [random.word(), 'no scheme']],
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
  const integer = types.includes('integer') && Number.isInteger(value);
  return types.length === 0 || types.includes(actual) || integer;
}

const encode = encodeURIComponent;
const encodeOrNull = (value?: string) => (value === undefined ? null : encode(value));

function pickOf<T>(random: Random, items: readonly T[]): T | undefined {
  return items.length > 0 ? random.pick(items) : undefined;
}

/** A value for a case's description: short, with its length when long. */
function cut(text: string): string {
  return text.length > 60 ? `${text.slice(0, 40)}… (${text.length} UTF-16 units)` : text;
}

/** A seed of one operation's cases: the run's seed mixed with the operation's name (FNV-1a). */
function operationSeed(seed: number, operationId: string): number {
  let hash = (2166136261 ^ seed) >>> 0;
  for (const char of operationId) {
    hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 16777619) >>> 0;
  }
  return hash;
}

/** The code points from `low` to `high`. */
function span(low: number, high: number): string[] {
  return Array.from({ length: high - low + 1 }, (_, index) => String.fromCodePoint(low + index));
}

const [letters, hex, bytes] = [span(0x61, 0x7a), [...'0123456789abcdef'], [...'0123456789ABCDEF']];
const visible = span(0x21, 0x7e);
/** No dots: a segment of dots alone is another path (`/.` appended). */
const punctuation = [...`!$&'()*+,-:;=@`, ...span(0xe0, 0xff)];
/** What over-long strings are made of: ASCII, CJK, emoji, control characters, RTL marks. */
const rtl = [...'\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069'];
const alphabets = [span(32, 126), span(0x4e00, 0x9fff), span(0x1f600, 0x1f64f), span(0, 31), rtl];
const mixed = alphabets.flat();
/** Latin-1, Arabic, combining marks, emoji and CJK, for names and path segments. */
const unicode = [0xe0, 0x600, 0x300, 0x1f600, 0x4e00].flatMap((low) => span(low, low + 0x4f));
/** 2 MiB of one character, by the character. */
const huge: Record<string, string> = Object.fromEntries(
  ['x', '漢', '😀'].map((char) => [char, char.repeat((2 << 20) / Buffer.byteLength(char))]),
);

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

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const keyed = items.map((item) => ({ item, key: this.next() }));
    return keyed.sort((a, b) => a.key - b.key).map(({ item }) => item);
  }

  /** `length` code points of `chars` (else of an alphabet drawn, or all): a run of up to 512,
   * repeated. */
  text(length: number, chars = this.next() < 0.2 ? mixed : this.pick(alphabets)): string {
    const run = Array.from({ length: Math.min(length, 512) }, () => this.pick(chars));
    return run.join('').repeat(Math.floor(length / 512)) + run.slice(0, length % 512).join('');
  }

  /** 1 to `most` code points of unicode. */
  unicode(most: number): string {
    return this.text(1 + this.int(most), unicode);
  }

  word(): string {
    return this.text(1 + this.int(12), letters);
  }

  uuid(): string {
    const id = this.text(32, hex);
    return [0, 8, 12, 16, 20].map((at, i, all) => id.slice(at, all[i + 1])).join('-');
  }
}
