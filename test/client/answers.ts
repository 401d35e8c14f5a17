import { errorBody, sampleRequestId } from '../../src/catalog/envelopes.js';
import type { Catalog } from '../../src/catalog/types.d.ts';
import type { FakeAnswer } from './fake-server.ts';

/** What a service sends for one code of its catalog, as errorBody writes it. */
export function errorAnswer(
  catalog: Catalog,
  name: string,
  details?: Record<string, unknown>,
  headers?: Record<string, string>,
): FakeAnswer {
  const entry = catalog.errors.find((candidate) => candidate.name === name);
  if (!entry) {
    throw new Error(`${catalog.service} has no code ${name}`);
  }
  const body = errorBody(catalog, entry, { details: details ?? {}, requestId: sampleRequestId });
  return { status: entry.status, body, ...(headers && { headers }) };
}
