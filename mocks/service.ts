import type { Express } from 'express';
import type { Catalog } from '../src/catalog/types.d.ts';
import { ApiError } from '../src/platform/api-error.ts';
import type { AnyHandler } from '../src/platform/handlers.ts';
import type { Lifecycle } from '../src/platform/lifecycle.ts';
import type { Logger } from '../src/platform/logger.ts';
import { createServiceApp } from '../src/platform/service-app.ts';
import type { UploadRule } from '../src/platform/uploads.ts';
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
    uploads: { rules, refuse: (code) => new ApiError(code) },
    // Its answers depend on no state: a repeated key is answered as the first request was.
    idempotency: false,
    validateResponses: false,
    lifecycle,
    logger,
  });
}

/**
 * Any file type, as many as the schema allows, up to maxFileBytes: a larger one is the
 * catalog's `bodyTooLarge` answer.
 */
function uploadRule(fileFields: Record<string, number>): UploadRule<string> {
  const files = Object.fromEntries(
    Object.entries(fileFields).map(([field, maxCount]) => [field, { maxCount }]),
  );
  return { files, maxFileBytes };
}
