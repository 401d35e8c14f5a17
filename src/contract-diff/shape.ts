import { asList, asNode, asText, type Node, type Resolved, refName, resolve } from './document.ts';

/** What one schema allows, `allOf` merged in: the keywords the comparison reads. */
export interface Shape {
  /** JSON types it takes; undefined when it does not restrict them. */
  types?: Set<string>;
  /** Values it takes, as JSON (`enum`, `const`); undefined when any value of its types goes. */
  values?: Set<string>;
  format?: string;
  pattern?: string;
  limits: Map<LimitKeyword, number>;
  properties: Map<string, unknown>;
  required: Set<string>;
  /** `additionalProperties: false`: fields it does not list are refused. */
  closed: boolean;
  /** The schema of the values of a map (`additionalProperties: {…}`). */
  additional?: unknown;
  items?: unknown;
  /** The schema of each server-sent event of a stream (this project's `x-event-schema`). */
  events?: unknown;
}

export const limitKeywords = [
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
] as const;

export type LimitKeyword = (typeof limitKeywords)[number];

/** Whether a set of types takes values of `type`; an integer is a number too. */
export function covers(types: Set<string> | undefined, type: string): boolean {
  return types === undefined || types.has(type) || (type === 'integer' && types.has('number'));
}

/** The shape of a resolved schema node. */
export function shapeOf(document: Node, node: Node, expanding = new Set<string>()): Shape {
  const own = ownShape(node);
  return asList(node.allOf).reduce<Shape>((shape, member) => {
    const { node: memberNode, ref } = resolve(document, member);
    if (ref === undefined) {
      return intersect(shape, shapeOf(document, memberNode, expanding));
    }
    // A schema that is part of itself adds nothing more the second time.
    return expanding.has(ref)
      ? shape
      : intersect(shape, shapeOf(document, memberNode, new Set(expanding).add(ref)));
  }, own);
}

function ownShape(node: Node): Shape {
  const values = ownValues(node);
  return {
    types: ownTypes(node, values),
    values,
    format: asText(node.format),
    pattern: asText(node.pattern),
    limits: new Map(
      limitKeywords.flatMap((keyword) => {
        const limit = node[keyword];
        return typeof limit === 'number' ? [[keyword, limit] as const] : [];
      }),
    ),
    properties: new Map(Object.entries(asNode(node.properties))),
    required: new Set(asList(node.required).filter((name) => typeof name === 'string')),
    closed: node.additionalProperties === false,
    additional:
      typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined,
    items: node.items,
    events: node['x-event-schema'],
  };
}

function ownValues(node: Node): Set<string> | undefined {
  if ('const' in node) {
    return new Set([JSON.stringify(node.const)]);
  }
  return Array.isArray(node.enum)
    ? new Set(node.enum.map((value) => JSON.stringify(value)))
    : undefined;
}

// A schema without `type` still restricts types through its values or its keywords.
function ownTypes(node: Node, values: Set<string> | undefined): Set<string> | undefined {
  if (typeof node.type === 'string') {
    return new Set([node.type]);
  }
  if (Array.isArray(node.type)) {
    return new Set(node.type.filter((type) => typeof type === 'string'));
  }
  if (values) {
    return new Set([...values].map((value) => jsonType(JSON.parse(value))));
  }
  if ('properties' in node || 'additionalProperties' in node) {
    return new Set(['object']);
  }
  return 'items' in node ? new Set(['array']) : undefined;
}

function jsonType(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'array';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? 'integer' : 'number';
  }
  return typeof value;
}

/** `allOf`: a value must satisfy both shapes. */
function intersect(left: Shape, right: Shape): Shape {
  const { types, values } = right;
  return {
    types: left.types && types ? intersectTypes(left.types, types) : (left.types ?? types),
    values:
      left.values && values
        ? new Set([...left.values].filter((value) => values.has(value)))
        : (left.values ?? values),
    format: left.format ?? right.format,
    pattern: left.pattern ?? right.pattern,
    limits: new Map([...right.limits, ...left.limits]),
    properties: new Map([...right.properties, ...left.properties]),
    required: new Set([...left.required, ...right.required]),
    closed: left.closed || right.closed,
    additional: left.additional ?? right.additional,
    items: left.items ?? right.items,
    events: left.events ?? right.events,
  };
}

function intersectTypes(a: Set<string>, b: Set<string>): Set<string> {
  return new Set([
    ...[...a].filter((type) => covers(b, type)),
    ...[...b].filter((type) => covers(a, type)),
  ]);
}

/** One alternative of a `oneOf`/`anyOf`: what it is called, and its shape. */
export interface Variant {
  value: unknown;
  name: string;
  /** Keys it is matched by across versions, most telling first: ref, constant, same JSON, types. */
  keys: string[];
  shape: Shape;
}

/**
 * The alternatives a schema takes, nested unions flattened (`TaskAnswer` = `Result` | `Error`);
 * a schema without `oneOf`/`anyOf` is its own single alternative.
 */
export function variantsOf(
  document: Node,
  value: unknown,
  expanding = new Set<string>(),
): Variant[] {
  const resolved = resolve(document, value);
  const members = [...asList(resolved.node.oneOf), ...asList(resolved.node.anyOf)];
  if (members.length === 0 || (resolved.ref && expanding.has(resolved.ref))) {
    return [variant(document, value, resolved)];
  }
  const inner = resolved.ref ? new Set(expanding).add(resolved.ref) : expanding;
  return members.flatMap((member) => variantsOf(document, member, inner));
}

function variant(document: Node, value: unknown, resolved: Resolved): Variant {
  const shape = shapeOf(document, resolved.node);
  const constant = constantProperty(document, shape);
  const types = typeWords(shape.types);
  const keys = [
    ...(resolved.ref ? [`ref ${refName(resolved.ref)}`] : []),
    ...(constant ? [`const ${constant}`] : []),
    `same ${canonical(resolved.node)}`,
    `types ${types}`,
  ];
  const pattern = shape.pattern ? `${types} matching ${shape.pattern}` : types;
  const name = resolved.ref ? refName(resolved.ref) : (constant ?? pattern);
  return { value, name, keys, shape };
}

// A schema as JSON with sorted keys, without the words that only document it: equal JSON takes
// the same values.
function canonical(node: Node): string {
  const { description, title, example, examples, ...schema } = node;
  return JSON.stringify(schema, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}

// The property a discriminated union tells its variants apart by: the first with one value.
function constantProperty(document: Node, shape: Shape): string | undefined {
  for (const [name, schema] of [...shape.properties].sort(([a], [b]) => a.localeCompare(b))) {
    const values = shapeOf(document, resolve(document, schema).node).values;
    if (values?.size === 1) {
      return `${name}=${valueWords(values)}`;
    }
  }
  return undefined;
}

/** `string, number or boolean`; `any type` when unrestricted. */
export function typeWords(types: Set<string> | undefined): string {
  return types === undefined ? 'any type' : words([...types]);
}

/** Values as a client reads them: strings bare, anything else as JSON. */
export function valueWords(values: Iterable<string>): string {
  return words(
    [...values].map((json) => {
      const value: unknown = JSON.parse(json);
      return typeof value === 'string' ? value : json;
    }),
  );
}

function words(list: string[]): string {
  return list.length < 2
    ? (list[0] ?? 'nothing')
    : `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`;
}
