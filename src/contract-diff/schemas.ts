import { type Node, resolve } from './document.ts';
import type { Change, Kind } from './rules.ts';
import {
  covers,
  type LimitKeyword,
  limitKeywords,
  type Shape,
  typeWords,
  type Variant,
  valueWords,
  variantsOf,
} from './shape.ts';

/** Who sends what a schema describes: the client (`request`) or the service (`response`). */
export type Direction = 'request' | 'response';

/** Where a schema sits in an operation: `POST /tasks`, `request body`, sent by the client. */
export interface Place {
  scope: string;
  place: string;
  direction: Direction;
}

/** The two bundled documents a comparison resolves `$ref`s in. */
export interface Documents {
  before: Node;
  after: Node;
}

interface Context extends Place {
  documents: Documents;
  changes: Change[];
  /** Pairs of refs being compared further up: a recursive schema is compared once. */
  open: Set<string>;
}

/** The changes between the schema at one place in two versions, refs resolved in each. */
export function compareSchemas(
  documents: Documents,
  place: Place,
  before: unknown,
  after: unknown,
): Change[] {
  const context: Context = { ...place, documents, changes: [], open: new Set() };
  compare(context, '', before, after);
  return context.changes;
}

function compare(context: Context, pointer: string, before: unknown, after: unknown): void {
  const refs = [resolve(context.documents.before, before), resolve(context.documents.after, after)];
  // Only refs can lead back to a schema being compared: inline schemas end.
  if (!refs.some(({ ref }) => ref)) {
    compareAlternatives(context, pointer, before, after);
    return;
  }
  const pair = refs.map(({ ref }) => ref).join(' > ');
  if (!context.open.has(pair)) {
    context.open.add(pair);
    compareAlternatives(context, pointer, before, after);
    context.open.delete(pair);
  }
}

function compareAlternatives(context: Context, pointer: string, before: unknown, after: unknown) {
  const was = variantsOf(context.documents.before, before);
  const is = variantsOf(context.documents.after, after);
  const [one, other] = [was[0], is[0]];
  if (was.length === 1 && is.length === 1 && one && other) {
    compareShapes(context, pointer, one.shape, other.shape);
  } else {
    compareVariants(context, pointer, was, is);
  }
}

function emit(context: Context, kind: Kind, pointer: string, before?: string, after?: string) {
  const subject = pointer ? `\`${pointer}\` of the ${context.place}` : `the ${context.place}`;
  context.changes.push({ kind, scope: context.scope, subject, before, after });
}

/** The kind of a change as the request or the response side of the table names it. */
function sided(context: Context, request: Kind, response: Kind): Kind {
  return context.direction === 'request' ? request : response;
}

const join = (pointer: string, name: string) => (pointer ? `${pointer}.${name}` : name);

function compareShapes(context: Context, pointer: string, before: Shape, after: Shape): void {
  compareTypes(context, pointer, before.types, after.types);
  compareValues(context, pointer, before.values, after.values);
  compareFormat(context, pointer, before.format, after.format);
  if (context.direction === 'request') {
    compareLimits(context, pointer, before, after);
    comparePattern(context, pointer, before.pattern, after.pattern);
  }
  if (covers(before.types, 'object') && covers(after.types, 'object')) {
    compareObjects(context, pointer, before, after);
  }
  if (before.items !== undefined && after.items !== undefined) {
    compare(context, `${pointer}[]`, before.items, after.items);
  }
  if (before.events !== undefined && after.events !== undefined) {
    compare({ ...context, place: `${context.place} events` }, '', before.events, after.events);
  }
}

function compareTypes(
  context: Context,
  pointer: string,
  before: Set<string> | undefined,
  after: Set<string> | undefined,
): void {
  const [lost, gained] = [typesBeyond(before, after), typesBeyond(after, before)];
  if (!lost && !gained) {
    return;
  }
  const kind =
    lost && gained
      ? 'type-changed'
      : lost
        ? sided(context, 'request-type-narrowed', 'response-type-narrowed')
        : sided(context, 'request-type-widened', 'response-type-widened');
  emit(context, kind, pointer, typeWords(before), typeWords(after));
}

function compareValues(
  context: Context,
  pointer: string,
  before: Set<string> | undefined,
  after: Set<string> | undefined,
): void {
  if (before === undefined && after !== undefined) {
    const narrowed = sided(context, 'request-enum-narrowed', 'response-enum-narrowed');
    emit(context, narrowed, pointer, `anything but ${valueWords(after)}`);
  } else if (before !== undefined && after === undefined) {
    const extended = sided(context, 'request-enum-extended', 'response-enum-extended');
    emit(context, extended, pointer, undefined, 'any value');
  } else if (before !== undefined && after !== undefined) {
    const removed = [...before].filter((value) => !after.has(value));
    const added = [...after].filter((value) => !before.has(value));
    if (removed.length > 0) {
      const narrowed = sided(context, 'request-enum-narrowed', 'response-enum-narrowed');
      emit(context, narrowed, pointer, valueWords(removed));
    }
    if (added.length > 0) {
      const extended = sided(context, 'request-enum-extended', 'response-enum-extended');
      emit(context, extended, pointer, undefined, valueWords(added));
    }
  }
}

function compareFormat(
  context: Context,
  pointer: string,
  before: string | undefined,
  after: string | undefined,
): void {
  if (before === after) {
    return;
  }
  const was = before ? `format ${before}` : 'any format';
  const is = after ? `format ${after}` : 'any format';
  // A client sending or parsing a value is held to the format only where one is given.
  const kind =
    context.direction === 'request'
      ? after
        ? 'request-format-changed'
        : 'request-format-removed'
      : before
        ? 'response-format-changed'
        : 'response-format-added';
  emit(context, kind, pointer, was, is);
}

// Only what a client sends is refused by a limit; a response's limits promise nothing new.
function compareLimits(context: Context, pointer: string, before: Shape, after: Shape): void {
  for (const keyword of limitKeywords) {
    const [was, is] = [before.limits.get(keyword), after.limits.get(keyword)];
    if (was !== is) {
      const kind = tighter(keyword, was, is)
        ? 'request-constraint-tightened'
        : 'request-constraint-loosened';
      emit(context, kind, pointer, limitWords(keyword, was), limitWords(keyword, is));
    }
  }
}

// Whether one pattern takes more strings than another cannot be told: a changed one is a warning.
function comparePattern(
  context: Context,
  pointer: string,
  was: string | undefined,
  is: string | undefined,
): void {
  if (was === is) {
    return;
  }
  const kind =
    was === undefined
      ? 'request-constraint-tightened'
      : is === undefined
        ? 'request-constraint-loosened'
        : 'request-pattern-changed';
  emit(context, kind, pointer, was ?? 'no pattern', is ?? 'no pattern');
}

function tighter(keyword: LimitKeyword, was: number | undefined, is: number | undefined): boolean {
  if (keyword.startsWith('min') || keyword.startsWith('exclusiveMin')) {
    return (is ?? -Infinity) > (was ?? -Infinity);
  }
  return (is ?? Infinity) < (was ?? Infinity);
}

const limitWords = (keyword: string, limit: number | undefined) =>
  limit === undefined ? `no ${keyword}` : `${keyword} ${limit}`;

function compareObjects(context: Context, pointer: string, before: Shape, after: Shape): void {
  const names = new Set([
    ...before.properties.keys(),
    ...before.required,
    ...after.properties.keys(),
    ...after.required,
  ]);
  for (const name of names) {
    const child = join(pointer, name);
    const was = before.properties.has(name) || before.required.has(name);
    const is = after.properties.has(name) || after.required.has(name);
    if (was && !is) {
      const refused = after.closed ? 'request-property-refused' : 'request-property-removed';
      emit(context, sided(context, refused, 'response-property-removed'), child);
    } else if (!was && is) {
      const added = after.required.has(name)
        ? 'request-property-added-required'
        : 'request-property-added';
      emit(context, sided(context, added, 'response-property-added'), child);
    } else {
      compareRequired(context, child, before.required.has(name), after.required.has(name));
      compare(context, child, before.properties.get(name), after.properties.get(name));
    }
  }
  if (context.direction === 'request' && !before.closed && after.closed) {
    emit(context, 'request-closed', pointer);
  }
  if (before.additional !== undefined && after.additional !== undefined) {
    compare(context, join(pointer, '*'), before.additional, after.additional);
  }
}

function compareRequired(context: Context, pointer: string, was: boolean, is: boolean): void {
  if (!was && is) {
    const kind = sided(
      context,
      'request-property-became-required',
      'response-property-became-required',
    );
    emit(context, kind, pointer);
  } else if (was && !is) {
    const kind = sided(
      context,
      'request-property-became-optional',
      'response-property-became-optional',
    );
    emit(context, kind, pointer);
  }
}

/**
 * Two unions (or a schema and a union): alternatives are matched by ref, then by their constant
 * property (a discriminator), then as equal schemas, then by their types. What the unmatched ones
 * add to or take from the union's types is a type change; the rest are alternatives added or
 * removed. A change inside a pair of two unions names its form: `ErrorEnvelope.data`.
 */
function compareVariants(context: Context, pointer: string, before: Variant[], after: Variant[]) {
  const { pairs, removed, added } = matchVariants(before, after);
  const [was, is] = [unionTypes(before), unionTypes(after)];
  const takesAway = (variant: Variant) => typesBeyond(variant.shape.types, is);
  const brings = (variant: Variant) => typesBeyond(variant.shape.types, was);
  if (removed.some(takesAway) || added.some(brings)) {
    compareTypes(context, pointer, was, is);
  }
  for (const variant of removed.filter((candidate) => !takesAway(candidate))) {
    const kind = sided(context, 'request-variant-removed', 'response-variant-removed');
    emit(context, kind, pointer, variant.name);
  }
  for (const variant of added.filter((candidate) => !brings(candidate))) {
    const kind = sided(context, 'request-variant-added', 'response-variant-added');
    emit(context, kind, pointer, undefined, variant.name);
  }
  const named = before.length > 1 && after.length > 1;
  for (const [one, other] of pairs) {
    compare(context, named ? join(pointer, other.name) : pointer, one.value, other.value);
  }
}

function matchVariants(before: Variant[], after: Variant[]) {
  const pairs: [Variant, Variant][] = [];
  const removed = [...before];
  const added = [...after];
  for (const by of ['ref ', 'const ', 'same ', 'types ']) {
    for (const one of [...removed]) {
      const key = one.keys.find((candidate) => candidate.startsWith(by));
      const other = key && added.find((candidate) => candidate.keys.includes(key));
      if (other) {
        pairs.push([one, other]);
        removed.splice(removed.indexOf(one), 1);
        added.splice(added.indexOf(other), 1);
      }
    }
  }
  return { pairs, removed, added };
}

function unionTypes(variants: Variant[]): Set<string> | undefined {
  const all = variants.map((variant) => variant.shape.types);
  return all.some((types) => types === undefined)
    ? undefined
    : new Set(all.flatMap((types) => [...(types ?? [])]));
}

/** Whether `types` take values `others` do not. */
function typesBeyond(types: Set<string> | undefined, others: Set<string> | undefined): boolean {
  return types === undefined ? others !== undefined : [...types].some((t) => !covers(others, t));
}
