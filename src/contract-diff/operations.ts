import { asList, asNode, asText, type Node, resolve } from './document.ts';
import type { Change } from './rules.ts';
import { compareSchemas, type Direction, type Documents } from './schemas.ts';

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** An operation (`POST /tasks`) or a webhook the service posts (`webhook taskEnded`). */
interface Operation {
  scope: string;
  webhook: boolean;
  node: Node;
  /** Its parameters and those of its path, resolved, by `<in> <name>`. */
  parameters: Map<string, Node>;
}

/** How a client names an error code: `TASK_NOT_FOUND (807)`, or with its HTTP status. */
export type ErrorLabel = (name: string) => string;

/** What changed in each operation and webhook, keyed by method and path (or webhook name). */
export function compareOperations(documents: Documents, label: ErrorLabel): Change[] {
  const before = operationsOf(documents.before);
  const after = operationsOf(documents.after);
  const changes: Change[] = [];
  for (const [key, operation] of before) {
    if (!after.has(key)) {
      const kind = operation.webhook ? 'webhook-removed' : 'operation-removed';
      changes.push({ kind, scope: operation.scope, subject: operation.scope });
    }
  }
  for (const [key, operation] of after) {
    const was = before.get(key);
    if (was) {
      changes.push(...compareOperation(documents, label, was, operation));
    } else {
      const kind = operation.webhook ? 'webhook-added' : 'operation-added';
      changes.push({ kind, scope: operation.scope, subject: operation.scope });
    }
  }
  return changes;
}

function operationsOf(document: Node): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(asNode(document.paths))) {
    for (const [method, node] of methodsOf(document, item)) {
      const scope = `${method.toUpperCase()} ${path}`;
      const parameters = parametersOf(document, [
        ...asList(resolve(document, item).node.parameters),
        ...asList(node.parameters),
      ]);
      operations.set(scope, { scope, webhook: false, node, parameters });
    }
  }
  for (const [name, item] of Object.entries(asNode(document.webhooks))) {
    for (const [method, node] of methodsOf(document, item)) {
      const scope = `webhook ${name}`;
      operations.set(`${scope} ${method}`, { scope, webhook: true, node, parameters: new Map() });
    }
  }
  return operations;
}

function methodsOf(document: Node, item: unknown): [string, Node][] {
  const { node } = resolve(document, item);
  return methods.filter((method) => method in node).map((method) => [method, asNode(node[method])]);
}

// An operation's parameter overrides its path's parameter of the same name and place.
function parametersOf(document: Node, parameters: unknown[]): Map<string, Node> {
  return new Map(
    parameters.map((parameter) => {
      const { node } = resolve(document, parameter);
      const name = String(node.name);
      return [`${node.in} ${node.in === 'header' ? name.toLowerCase() : name}`, node];
    }),
  );
}

function compareOperation(
  documents: Documents,
  label: ErrorLabel,
  before: Operation,
  after: Operation,
): Change[] {
  const { scope } = after;
  const [was, is] = [body(documents.before, before), body(documents.after, after)];
  // What a webhook posts, the client receives: its payload compares as a response.
  if (after.webhook) {
    return compareContent(documents, scope, 'payload', 'response', was, is);
  }
  const deprecated = !before.node.deprecated && after.node.deprecated === true;
  return [
    ...(deprecated ? [{ kind: 'operation-deprecated', scope, subject: scope } as const] : []),
    ...compareParameters(documents, scope, before.parameters, after.parameters),
    ...compareBodies(documents, scope, was, is),
    ...compareResponses(documents, scope, before.node, after.node),
    ...compareErrors(scope, label, before.node, after.node),
  ];
}

function compareParameters(
  documents: Documents,
  scope: string,
  before: Map<string, Node>,
  after: Map<string, Node>,
): Change[] {
  const changes: Change[] = [];
  for (const [key, parameter] of before) {
    if (!after.has(key)) {
      changes.push({ kind: 'parameter-removed', scope, subject: parameterName(parameter) });
    }
  }
  for (const [key, parameter] of after) {
    const was = before.get(key);
    const subject = parameterName(parameter);
    const required = parameter.required === true;
    if (!was) {
      const kind = required ? 'parameter-added-required' : 'parameter-added';
      changes.push({ kind, scope, subject });
      continue;
    }
    if (required !== (was.required === true)) {
      const kind = required ? 'parameter-became-required' : 'parameter-became-optional';
      changes.push({ kind, scope, subject });
    }
    const place = { scope, place: subject, direction: 'request' as const };
    changes.push(...compareSchemas(documents, place, was.schema, parameter.schema));
  }
  return changes;
}

const parameterName = (parameter: Node) => `${parameter.in} parameter \`${parameter.name}\``;

/** An operation's request body, or a webhook's payload; undefined when it has none. */
function body(document: Node, operation: Operation): Node | undefined {
  return operation.node.requestBody === undefined
    ? undefined
    : resolve(document, operation.node.requestBody).node;
}

function compareBodies(
  documents: Documents,
  scope: string,
  before: Node | undefined,
  after: Node | undefined,
): Change[] {
  if (before && !after) {
    return [{ kind: 'request-body-removed', scope, subject: 'request body' }];
  }
  if (!after) {
    return [];
  }
  const required = after.required === true;
  const changes: Change[] = [];
  if (!before || required !== (before.required === true)) {
    const kind = required ? 'request-body-became-required' : 'request-body-became-optional';
    changes.push({ kind, scope, subject: 'request body' });
  }
  if (before) {
    changes.push(...compareContent(documents, scope, 'request body', 'request', before, after));
  }
  return changes;
}

/**
 * The media types of a body or a response, and the schema of each one both versions have.
 * `place` names it in words: `request body`, `200 response`, `payload`.
 */
function compareContent(
  documents: Documents,
  scope: string,
  place: string,
  direction: Direction,
  before: Node | undefined,
  after: Node | undefined,
): Change[] {
  const was = asNode(before?.content);
  const is = asNode(after?.content);
  const changes: Change[] = [];
  const [removed, added] =
    direction === 'request'
      ? (['request-media-type-removed', 'request-media-type-added'] as const)
      : (['response-media-type-removed', 'response-media-type-added'] as const);
  const subject = (media: string) => (direction === 'request' ? media : `${place} as ${media}`);
  for (const media of Object.keys(was).filter((media) => !(media in is))) {
    changes.push({ kind: removed, scope, subject: subject(media) });
  }
  for (const [media, content] of Object.entries(is)) {
    if (!(media in was)) {
      changes.push({ kind: added, scope, subject: subject(media) });
      continue;
    }
    const where = media === 'application/json' ? place : `${place} (${media})`;
    const [one, other] = [asNode(was[media]).schema, asNode(content).schema];
    changes.push(...compareSchemas(documents, { scope, place: where, direction }, one, other));
  }
  return changes;
}

function compareResponses(
  documents: Documents,
  scope: string,
  before: Node,
  after: Node,
): Change[] {
  const was = asNode(before.responses);
  const is = asNode(after.responses);
  const name = (status: string) =>
    status === 'default' ? 'its default response' : `HTTP ${status}`;
  const changes: Change[] = [];
  for (const status of Object.keys(was).filter((status) => !(status in is))) {
    changes.push({ kind: 'response-status-removed', scope, subject: name(status) });
  }
  for (const [status, response] of Object.entries(is)) {
    if (!(status in was)) {
      changes.push({ kind: 'response-status-added', scope, subject: name(status) });
      continue;
    }
    const pair = [
      resolve(documents.before, was[status]).node,
      resolve(documents.after, response).node,
    ] as const;
    changes.push(...compareContent(documents, scope, `${status} response`, 'response', ...pair));
  }
  return changes;
}

/** The catalog codes an operation lists in `x-errors`: what clients switch on. */
function compareErrors(scope: string, label: ErrorLabel, before: Node, after: Node): Change[] {
  const codes = (node: Node) =>
    asList(node['x-errors'])
      .map(asText)
      .filter((name) => name !== undefined);
  const [was, is] = [codes(before), codes(after)];
  return [
    ...was
      .filter((name) => !is.includes(name))
      .map((name) => ({ kind: 'error-code-removed' as const, scope, subject: label(name) })),
    ...is
      .filter((name) => !was.includes(name))
      .map((name) => ({ kind: 'error-code-added' as const, scope, subject: label(name) })),
  ];
}
