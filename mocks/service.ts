import type { Express } from 'express';
import type { Catalog } from '../src/catalog/types.d.ts';
import { PlatformError } from '../src/platform/failures.ts';
import type { AnyHandler } from '../src/platform/handlers.ts';
import type { Lifecycle } from '../src/platform/lifecycle.ts';
import type { Logger } from '../src/platform/logger.ts';
import { createServiceApp } from '../src/platform/service-app.ts';
import type { UploadFacts, UploadRule } from '../src/platform/uploads.ts';
import { answerHandler } from './answer.ts';
import { serviceFailures } from './failures.ts';
import { readMockDocument } from './operations.ts';
import { mockSchemes } from './security.ts';

/** The largest file the mock takes: it keeps none, and each service's own limit is its server's. */
const maxFileBytes = 64 * 1024 * 1024;

/**
 * The mock of one service: the platform's own request pipeline (the server's routing, parsers,
 * validation and error answers), with handlers that answer the document's examples.
 */
export function mockService(
  document: string,
  catalog: Catalog,
  { lifecycle, logger }: { lifecycle: Lifecycle; logger: Logger },
): Express {
  const failures = serviceFailures[catalog.service];
  if (!failures) {
    throw new Error(`${catalog.service}: no failure answers; add them to mocks/failures.ts`);
  }
  const { operations, schemes, resolve } = readMockDocument(document);
  const handlers: Record<string, AnyHandler<unknown>> = {};
  const rules: Record<string, UploadRule<string>> = {};
  for (const operation of operations) {
    handlers[operation.operationId] = answerHandler(operation, { catalog, resolve });
    if (Object.keys(operation.fileFields).length > 0) {
      rules[operation.operationId] = uploadRule(operation.fileFields);
    }
  }
  return createServiceApp({
    catalog,
    document,
    // Handlers are typed by a service's generated operations; the mock's answer any operation.
    handlers: handlers as never,
    security: mockSchemes(schemes, catalog),
    failures,
    uploads: { rules, refuse: refuseUpload },
    // Its answers depend on no state: a repeated key is answered as the first request was.
    idempotency: false,
    validateResponses: false,
    lifecycle,
    logger,
  });
}

/** Any file type, up to maxFileBytes, as many as the schema allows. */
function uploadRule(fileFields: Record<string, number>): UploadRule<string> {
  const files = Object.fromEntries(
    Object.entries(fileFields).map(([field, maxCount]) => [field, { maxCount }]),
  );
  return { files, maxFileBytes, tooLarge: 'bodyTooLarge' };
}

/** A file over the mock's limit is a body too large, as the platform refuses any. */
function refuseUpload(_code: string, facts: UploadFacts): Error {
  return new PlatformError({
    role: 'bodyTooLarge',
    reason: `${facts.field} is larger than ${facts.maxBytes} bytes`,
  });
}
