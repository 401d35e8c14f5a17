// @ts-check
// The one place that knows each service's error envelope: the Redocly plugin builds the documented
// examples with it and the server builds its responses with it, so the two cannot drift apart.

import { catalogEntryPath } from './links.js';

/** @typedef {import('./types.d.ts').Catalog} Catalog */
/** @typedef {import('./types.d.ts').CatalogEntry} CatalogEntry */

/**
 * What is known about one occurrence of a code.
 * @typedef {object} Occurrence
 * @property {Record<string, unknown>} [details] facts of this occurrence, keyed as the catalog documents
 * @property {string} [requestId] id of the request, for envelopes that carry it
 * @property {string} [instance] path of the request (RFC 9457 `instance`)
 * @property {string} [detail] explanation of this occurrence (defaults to the catalog message)
 * @property {string} [concrete] the concrete code of a `_*` entry (defaults to its sample)
 */

/** Request id used in documented examples. */
export const sampleRequestId = 'req_660e8400-e29b-41d4-a716-446655440000';

/** @type {Record<string, (catalog: Catalog, entry: CatalogEntry, occurrence: Occurrence) => unknown>} */
const envelopes = {
  'task-market': (catalog, entry, occurrence) => ({
    code: entry.code,
    message: entry.message[catalog.wire.language],
    ...optionalDetails(occurrence.details),
    request_id: occurrence.requestId,
  }),
  'bot-agent': (catalog, entry, occurrence) => ({
    error: {
      code: entry.name,
      numeric_code: entry.code,
      message: entry.message[catalog.wire.language],
      ...optionalDetails(occurrence.details),
    },
  }),
  // RFC 9457 problems, the details as extension members; a `body` code (a 202) is a status
  // answer, not a problem.
  divination: (catalog, entry, occurrence) =>
    entry.surface === 'body'
      ? { code: entry.name, message: entry.message[catalog.wire.language], ...occurrence.details }
      : {
          type: catalogEntryUrl(catalog, entry),
          title: entry.message[catalog.wire.language],
          status: entry.status,
          detail: occurrence.detail ?? entry.message[catalog.wire.language],
          instance: occurrence.instance,
          code: entry.name,
          ...occurrence.details,
        },
  'workflow-cloud': (_catalog, entry, occurrence) => ({
    code: entry.code,
    msg: entry.name,
    // `data` carries details only where the catalog documents some (433's ComfyUI report).
    data:
      occurrence.details && Object.keys(occurrence.details).length > 0 ? occurrence.details : null,
  }),
  podi: (_catalog, entry, occurrence) =>
    entry.surface === 'field'
      ? concreteCode(entry, occurrence)
      : { detail: concreteCode(entry, occurrence) },
};

/** The services whose envelope is defined here: the values `wire.envelope` may take. */
export const envelopeNames = Object.keys(envelopes);

/**
 * The body (or, for a `field` code, the field's value) the service sends for one code.
 * @param {Catalog} catalog
 * @param {CatalogEntry} entry
 * @param {Occurrence} [occurrence]
 * @returns {unknown}
 */
export function errorBody(catalog, entry, occurrence = {}) {
  const envelope = envelopes[catalog.wire.envelope ?? catalog.service];
  if (!envelope) {
    throw new Error(`no error envelope is defined for service ${catalog.service}`);
  }
  return envelope(catalog, entry, occurrence);
}

/**
 * The body of a code as the documents show it: its documented details, the sample request id and
 * the path of a request that gets it.
 * @param {Catalog} catalog
 * @param {CatalogEntry} entry
 * @param {string} [instance]
 */
export function exampleBody(catalog, entry, instance) {
  return errorBody(catalog, entry, {
    details: entry.details,
    requestId: sampleRequestId,
    instance,
  });
}

/**
 * Where each envelope carries the error's code and details, to read a body back.
 * @type {Record<string, (body: any) => { code: unknown, details?: Record<string, unknown> } | undefined>}
 */
const readers = {
  'task-market': (body) => (body?.code ? { code: body.code, details: body.details } : undefined),
  'bot-agent': (body) =>
    body?.error?.code ? { code: body.error.code, details: body.error.details } : undefined,
  divination: (body) => (body?.code ? { code: body.code, details: body } : undefined),
  'workflow-cloud': (body) =>
    body?.code ? { code: body.code, details: body.data ?? undefined } : undefined,
  podi: (body) => (typeof body?.detail === 'string' ? { code: body.detail } : undefined),
};

/**
 * The catalog entry a body (or field value) carries, with its details: the inverse of errorBody.
 * Undefined for a success (`code: 0`) or a body that is not this service's error.
 * @param {Catalog} catalog
 * @param {unknown} body
 * @returns {{ entry: CatalogEntry, details: Record<string, unknown> | undefined } | undefined}
 */
export function identifyError(catalog, body) {
  const read = readers[catalog.wire.envelope ?? catalog.service];
  const found = read ? read(body) : undefined;
  if (!found) {
    return undefined;
  }
  const entry = entryOfCode(catalog, found.code);
  return entry ? { entry, details: found.details } : undefined;
}

/**
 * The catalog entry of a code as it travels: its wire code, its name, or a concrete spelling of
 * a pattern (`ERR|Q1001|…`, `COZE_HTTP_502`), an exact match first. Undefined for anything else.
 * @param {Catalog} catalog
 * @param {unknown} code
 * @returns {CatalogEntry | undefined}
 */
export function entryOfCode(catalog, code) {
  return (
    catalog.errors.find((candidate) => candidate.code === code || candidate.name === code) ??
    catalog.errors.find(
      (candidate) =>
        candidate.pattern !== undefined && new RegExp(candidate.pattern).test(String(code)),
    )
  );
}

/**
 * Path of a code's entry on the published error catalog page.
 * @param {Catalog} catalog
 * @param {CatalogEntry} entry
 */
export function catalogEntryUrl(catalog, entry) {
  return catalogEntryPath(catalog.service, entry.name);
}

/**
 * @param {CatalogEntry} entry
 * @param {Occurrence} occurrence
 */
function concreteCode(entry, occurrence) {
  return occurrence.concrete ?? entry.sample ?? entry.name;
}

/** @param {Record<string, unknown> | undefined} details */
function optionalDetails(details) {
  return details && Object.keys(details).length > 0 ? { details } : {};
}
