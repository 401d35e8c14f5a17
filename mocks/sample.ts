import type { Schema } from './operations.ts';

/** Values of the string formats the documents use, each valid for its format. */
const formatSamples: Record<string, string> = {
  uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  email: 'user@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  ipv4: '192.0.2.1',
};

/** A 1×1 transparent PNG: the bytes of an image answer whose response documents no example. */
export const onePixelPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

/**
 * A value that fits `schema`, made from the schema alone (`Prefer: dynamic=true`): its own
 * example, default, const or first enum value where it has one, else the least value of its
 * type that meets its bounds; objects get their required properties and any with an example.
 */
export function sampleOf(schema: Schema, resolve: (schema: Schema) => Schema, depth = 0): unknown {
  const resolved = resolve(schema);
  const given = resolved.examples?.[0] ?? resolved.example ?? resolved.default ?? resolved.const;
  if (given !== undefined) {
    return given;
  }
  if (resolved.enum?.length) {
    return resolved.enum[0];
  }
  const [first] = resolved.oneOf ?? resolved.anyOf ?? [];
  if (first) {
    return sampleOf(first, resolve, depth + 1);
  }
  if (resolved.allOf) {
    return Object.assign({}, ...resolved.allOf.map((part) => sampleOf(part, resolve, depth + 1)));
  }
  const type = Array.isArray(resolved.type)
    ? resolved.type.find((each) => each !== 'null')
    : resolved.type;
  switch (type) {
    case 'object':
      return sampleObject(resolved, resolve, depth);
    case 'array':
      return resolved.items && depth < 8
        ? Array.from({ length: Math.max(1, resolved.minItems ?? 0) }, () =>
            sampleOf(resolved.items as Schema, resolve, depth + 1),
          )
        : [];
    case 'integer':
    case 'number':
      return Math.max(0, Math.ceil(resolved.minimum ?? 0));
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string':
      return sampleString(resolved);
    default:
      return resolved.properties ? sampleObject(resolved, resolve, depth) : null;
  }
}

function sampleString(schema: Schema): string {
  const fromPattern = schema.pattern === undefined ? undefined : matchOf(schema.pattern);
  return (
    fromPattern ??
    formatSamples[schema.format ?? ''] ??
    'x'.repeat(Math.max(1, schema.minLength ?? 0))
  );
}

/**
 * The shortest string a simple pattern matches (`^req_[0-9a-f-]{36}$` → `req_000…`): literals,
 * escapes, classes (their first character) and quantifiers; undefined for a pattern with groups
 * or alternatives, or when what was made does not match after all.
 */
export function matchOf(pattern: string): string | undefined {
  const body = pattern.replace(/^\^/, '').replace(/\$$/, '');
  const atom = /(\\x[0-9a-fA-F]{2}|\\.|\[(?:\\.|[^\]])+\]|[^\\[(|)])(\{(\d+)(?:,\d*)?\}|[?*+])?/y;
  let made = '';
  while (atom.lastIndex < body.length) {
    const match = atom.exec(body);
    if (!match) {
      return undefined;
    }
    const [, token = '', quantifier = '', count] = match;
    const times =
      count !== undefined ? Number(count) : quantifier === '?' || quantifier === '*' ? 0 : 1;
    made += characterOf(token).repeat(times);
  }
  return new RegExp(pattern, 'u').test(made) ? made : undefined;
}

/** One character an atom matches: a class's first, an escape's meaning, a literal itself. */
function characterOf(token: string): string {
  const inner = token.startsWith('[') ? token.slice(1, -1) : token;
  const escaped = /^\\(x[0-9a-fA-F]{2}|.)/.exec(inner)?.[1];
  if (escaped === undefined) {
    return inner === '.' ? 'a' : (inner[0] ?? '');
  }
  if (escaped.startsWith('x') && escaped.length === 3) {
    return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
  }
  return { d: '0', w: 'a', s: ' ' }[escaped] ?? escaped;
}

function sampleObject(schema: Schema, resolve: (schema: Schema) => Schema, depth: number) {
  const value: Record<string, unknown> = {};
  if (depth >= 8) {
    return value;
  }
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (schema.required?.includes(name) || resolve(property).example !== undefined) {
      value[name] = sampleOf(property, resolve, depth + 1);
    }
  }
  return value;
}
