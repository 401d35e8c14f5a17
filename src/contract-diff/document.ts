/** A JSON object read from a document or a catalog; anything else reads as an empty one. */
export type Node = Record<string, unknown>;

export function asNode(value: unknown): Node {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Node)
    : {};
}

export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A node, with the `$ref` it was reached through (the last one, when refs chain). */
export interface Resolved {
  node: Node;
  ref?: string;
}

/**
 * Follows local `$ref`s (`#/components/schemas/Task`): a bundled document has no others. A ref
 * that names nothing resolves to an empty node, which compares as "anything".
 */
export function resolve(document: Node, value: unknown): Resolved {
  let node = asNode(value);
  let ref: string | undefined;
  const followed = new Set<string>();
  for (let next = asText(node.$ref); next && !followed.has(next); next = asText(node.$ref)) {
    followed.add(next);
    ref = next;
    node = pointerTarget(document, next);
  }
  return ref === undefined ? { node } : { node, ref };
}

function pointerTarget(document: Node, ref: string): Node {
  const segments = ref.replace(/^#\/?/, '').split('/').filter(Boolean);
  return segments
    .map((segment) => decodedSegment(segment).replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Node>((node, segment) => asNode(node[segment]), document);
}

/** The last segment of a ref: the name a schema goes by (`Task`). */
export function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** A pointer segment, percent-decoded unless it is no valid encoding (`100%`): then as written. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
