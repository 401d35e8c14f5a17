// @ts-check
import { STATUS_CODES } from 'node:http';
import { dirname, relative } from 'node:path';
import { errorBody, exampleBody } from '../catalog/envelopes.js';
import {
  operationBodies,
  roleDescriptions,
  roleExampleName,
  roleTitle,
} from '../catalog/platform.js';
import { resolveCatalog } from './catalog-ref.js';
import { operationShape } from './operation-shape.js';

/** @typedef {import('../catalog/types.d.ts').Catalog} Catalog */
/** @typedef {import('../catalog/types.d.ts').CatalogEntry} CatalogEntry */
/** @typedef {import('../catalog/platform.js').OperationShape} OperationShape */
/** @typedef {import('./catalog-ref.js').ResolvedCatalog} ResolvedCatalog */

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Preprocessor (so it runs in lint as well as bundle): turns each operation's
 * `x-errors: [NAME, …]` into named examples, one per code, and fills the `enum` of every schema
 * marked `x-error-codes: code | name` from the catalog: of the codes of one `x-error-surface`
 * and of the groups `x-error-group` names, when it says. An `http` code becomes an example of
 * the error response of its status, a `body` code one of the operation's own response of its
 * status, a `field` code one of the resource the operation answers, carrying the code where
 * `x-error-field` says. What the catalog's `platform` block answers with a body that is no code
 * (podi's FastAPI-shaped 422, 413, 500, 503) becomes a response of every operation it applies
 * to, with one named example a role.
 */
export function expandXErrors() {
  /** @type {ResolvedCatalog | undefined} */
  let resolved;
  let rootFile = '';
  let basePath = '';
  return {
    Root: {
      enter(/** @type {any} */ root, /** @type {any} */ ctx) {
        resolved = resolveCatalog(root, ctx);
        rootFile = ctx.location.source.absoluteRef;
        basePath = root.servers?.[0]?.url ?? '';
      },
    },
    Schema: {
      enter(/** @type {any} */ schema) {
        const catalog = resolved?.catalog;
        if (catalog && typeof schema['x-error-codes'] === 'string') {
          const groups = [schema['x-error-group'] ?? []].flat();
          const entries = catalog.errors.filter(
            (entry) =>
              (!schema['x-error-surface'] || entry.surface === schema['x-error-surface']) &&
              (groups.length === 0 || groups.includes(entry.group)),
          );
          Object.assign(schema, codeSchema(entries, schema['x-error-codes']));
        }
      },
    },
    PathItem: {
      enter(/** @type {any} */ pathItem, /** @type {any} */ ctx) {
        if (!resolved?.catalog || typeof ctx.key !== 'string' || !ctx.key.startsWith('/')) {
          return;
        }
        const schemaRef = (/** @type {string} */ name) =>
          `${relativeRef(ctx.location.source.absoluteRef, rootFile)}#/components/schemas/${name}`;
        for (const method of methods) {
          const operation = pathItem[method];
          if (operation && Array.isArray(operation['x-errors'])) {
            expandOperation(operation, resolved, {
              errorSchemaRef: schemaRef(resolved.catalog.wire.schema),
              instance: `${basePath}${ctx.key}`,
            });
            expandPlatformBodies(operation, resolved.catalog, {
              schemaRef,
              shape: operationShape(operation, ctx),
            });
          }
        }
      },
    },
  };
}

/**
 * @param {any} operation
 * @param {ResolvedCatalog} resolved
 * @param {{ errorSchemaRef: string, instance: string }} where
 */
function expandOperation(operation, { catalog, byName }, where) {
  if (!catalog) {
    return;
  }
  const order = new Map(catalog.errors.map((entry, index) => [entry, index]));
  /** @type {CatalogEntry[]} */
  const entries = operation['x-errors']
    .map((/** @type {unknown} */ name) => byName.get(String(name)))
    .filter(Boolean)
    .sort(
      (/** @type {CatalogEntry} */ a, /** @type {CatalogEntry} */ b) =>
        (order.get(a) ?? 0) - (order.get(b) ?? 0),
    );
  operation.responses ??= {};

  for (const [status, group] of groupByStatus(entries.filter((e) => e.surface === 'http'))) {
    operation.responses[status] ??= { description: describeStatus(status, group) };
    const response = operation.responses[status];
    response.content ??= {};
    response.content[catalog.wire.contentType] ??= { schema: { $ref: where.errorSchemaRef } };
    const media = response.content[catalog.wire.contentType];
    addExamples(media, catalog, group, where.instance);
    // The server and the mock send Retry-After whenever the body carries `retry_after`.
    if (status === '429' || group.some((entry) => typeof entry.details?.retry_after === 'number')) {
      response.headers ??= {};
      response.headers['Retry-After'] ??= {
        description: 'Seconds to wait before sending the request again.',
        schema: { type: 'integer', minimum: 0 },
      };
    }
  }

  for (const [status, group] of groupByStatus(entries.filter((e) => e.surface === 'body'))) {
    const media = firstMedia(operation.responses[status]);
    if (media) {
      addExamples(media, catalog, group, where.instance);
    }
  }

  const carrier = operation['x-error-field'];
  for (const [status, group] of groupByStatus(entries.filter((e) => e.surface === 'field'))) {
    const media = firstMedia(operation.responses[status]);
    const base = media && Object.values(media.examples ?? {})[0];
    if (base && typeof carrier?.path === 'string') {
      for (const entry of group) {
        media.examples[entry.name] = example(
          entry,
          withField(base.value, carrier, errorBody(catalog, entry)),
        );
      }
    }
  }

  operation.responses = sortByStatus(operation.responses);
}

/**
 * The answers of the platform block that are no catalog code, on one operation: a response of
 * their status, their schema, and one example a role, keyed by its example name
 * (`PLATFORM_VALIDATION_FAILED`, `PLATFORM_INTERNAL_ERROR`…), its value the body the catalog
 * gives. Two roles answered with the same body (podi's database down and internal error) keep an
 * example each, so the mock can play either, and the second says a client cannot tell them apart.
 *
 * Where the operation already documents that status with catalog codes (podi's 500s), the
 * response's schema becomes a oneOf of the error schema and the role's: both bodies stay
 * documented under their own examples, and since an example must match exactly one branch,
 * lint fails if a body that is no code could be mistaken for a code's.
 * @param {any} operation
 * @param {Catalog} catalog
 * @param {{ schemaRef: (name: string) => string, shape: OperationShape }} where
 */
function expandPlatformBodies(operation, catalog, where) {
  const bodies = operationBodies(catalog.platform, where.shape);
  if (bodies.length === 0) {
    return;
  }
  operation.responses ??= {};
  /** @type {Map<string, string>} the example name of each body documented here, by its JSON */
  const named = new Map();
  for (const at of bodies) {
    const status = String(at.body.status);
    const name = roleExampleName(at);
    const line = `- \`${name}\` (no catalog code): ${roleDescriptions[at.role]}. ${at.body.reason}`;
    const response = operation.responses[status];
    if (response === undefined) {
      operation.responses[status] = { description: `${answersBelow(status)}\n\n${line}` };
    } else if (!response.description?.includes(`\`${name}\``)) {
      response.description = `${response.description ?? STATUS_CODES[status]}\n${line}`;
    }
    const ref = { $ref: where.schemaRef(at.body.schema) };
    const content = operation.responses[status].content ?? {};
    operation.responses[status].content = content;
    const media = content[catalog.wire.contentType] ?? {};
    content[catalog.wire.contentType] = media;
    media.schema = withBranch(media.schema, ref);
    media.examples ??= {};
    const body = `${status} ${JSON.stringify(at.body.example)}`;
    const same = named.get(body);
    named.set(body, same ?? name);
    media.examples[name] = {
      summary: `${name}: ${roleTitle(at.role)}`,
      description: same
        ? `${at.body.reason}\n\nThe same body as \`${same}\`: a client cannot tell the two apart.`
        : at.body.reason,
      value: at.body.example,
    };
  }
  operation.responses = sortByStatus(operation.responses);
}

/**
 * A schema that also accepts `ref`: itself when it is `ref` or already lists it, else a oneOf.
 * @param {any} schema
 * @param {{ $ref: string }} ref
 */
function withBranch(schema, ref) {
  const same = (/** @type {any} */ branch) => branch?.$ref === ref.$ref;
  if (schema === undefined) {
    return ref;
  }
  if (same(schema) || (Array.isArray(schema?.oneOf) && schema.oneOf.some(same))) {
    return schema;
  }
  return Array.isArray(schema?.oneOf)
    ? { ...schema, oneOf: [...schema.oneOf, ref] }
    : { oneOf: [schema, ref] };
}

/**
 * A resource that carries a failure: the operation's first example with `x-error-field.path`
 * (dotted) set to the code and the fields of `x-error-field.with` set as a failure shows them.
 * @param {unknown} example
 * @param {{ path: string, with?: Record<string, unknown> }} carrier
 * @param {unknown} code
 */
function withField(example, carrier, code) {
  const value = Object.assign(structuredClone(/** @type {object} */ (example)), carrier.with);
  const keys = carrier.path.split('.');
  const last = /** @type {string} */ (keys.pop());
  let node = /** @type {Record<string, any>} */ (value);
  for (const key of keys) {
    node[key] ??= {};
    node = node[key];
  }
  node[last] = code;
  return value;
}

/**
 * @param {any} media
 * @param {Catalog} catalog
 * @param {CatalogEntry[]} entries
 * @param {string} instance
 */
function addExamples(media, catalog, entries, instance) {
  media.examples ??= {};
  for (const entry of entries) {
    media.examples[entry.name] = example(entry, exampleBody(catalog, entry, instance));
  }
}

/**
 * The named example of one code: its label and message, its advice when the catalog has one.
 * @param {CatalogEntry} entry
 * @param {unknown} value
 */
function example(entry, value) {
  return {
    summary: `${label(entry)}: ${entry.message.en}`,
    ...(entry.advice && { description: `${entry.advice.en}\n\n${entry.advice.zh}` }),
    value,
  };
}

/**
 * Response description listing the codes it carries, for readers of the docs.
 * @param {string} status
 * @param {CatalogEntry[]} entries
 */
function describeStatus(status, entries) {
  const lines = entries.map(
    (entry) => `- \`${label(entry)}\`: ${entry.message.en} (${entry.message.zh})`,
  );
  return `${answersBelow(status)}\n\n${lines.join('\n')}`;
}

/**
 * The first line of a response's description, above its list of answers: the catalog's codes
 * and the bodies of the platform that are no code alike.
 * @param {string} status
 */
function answersBelow(status) {
  return `${STATUS_CODES[status]}: one of the answers below.`;
}

/**
 * The catalog's codes as a schema: the enum of their wire codes (`code`) or of their names
 * (`name`), names with a dynamic suffix as patterns.
 * @param {readonly CatalogEntry[]} entries the codes the schema may hold
 * @param {string} field `code` or `name`
 */
function codeSchema(entries, field) {
  if (field === 'code') {
    return { enum: entries.map((entry) => entry.code).filter((code) => code !== undefined) };
  }
  const fixed = entries.filter((entry) => entry.pattern === undefined);
  const patterned = entries.filter((entry) => entry.pattern !== undefined);
  const names = fixed.length > 0 ? [{ enum: fixed.map((entry) => entry.name) }] : [];
  // Each branch says `string`, else the generated type of a pattern branch is `unknown`.
  const spelled = patterned.map((entry) => ({ type: 'string', pattern: entry.pattern }));
  const branches = [...names, ...spelled];
  return branches.length === 1 ? branches[0] : { anyOf: branches };
}

/** @param {CatalogEntry} entry */
function label(entry) {
  return entry.code === undefined ? entry.name : `${entry.code} ${entry.name}`;
}

/**
 * @param {CatalogEntry[]} entries
 * @returns {Map<string, CatalogEntry[]>}
 */
function groupByStatus(entries) {
  const groups = new Map();
  for (const entry of entries) {
    const status = String(entry.status);
    groups.set(status, [...(groups.get(status) ?? []), entry]);
  }
  return groups;
}

/** @param {any} response */
function firstMedia(response) {
  const content = response?.content ?? {};
  const type = Object.keys(content).find((key) => key.includes('json'));
  return type === undefined ? undefined : content[type];
}

/** @param {Record<string, unknown>} responses */
function sortByStatus(responses) {
  const rank = (/** @type {string} */ key) => (key === 'default' ? 1000 : Number.parseInt(key, 10));
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => rank(a) - rank(b)));
}

/**
 * A `$ref` from a node in `fromFile` to `rootFile`: Redocly resolves refs relative to the file the
 * node was read from, and an operation usually lives in paths/<path>.yaml.
 * @param {string} fromFile
 * @param {string} rootFile
 */
function relativeRef(fromFile, rootFile) {
  return fromFile === rootFile ? '' : relative(dirname(fromFile), rootFile);
}
