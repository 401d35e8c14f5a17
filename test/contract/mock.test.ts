import type { Client } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtServices } from '../../src/build/services.ts';
import { identifyError } from '../../src/catalog/envelopes.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { loadDocument } from '../support/documents.ts';
import { useMock } from '../support/mock.ts';

// Consumer contract tests: every (operation, code) pair of every built document, asked of the
// mock with only `Prefer: example=<CODE>`, through the service's typed client.

const mockOrigin = useMock();

/** `task-market` → `createTaskMarketClient`, the factory each src/client/<service>.ts exports. */
const factoryName = (service: string) =>
  `create${service.replace(/(^|-)(\w)/g, (_match, _dash, letter: string) => letter.toUpperCase())}Client`;

type AnyClient = Client<Record<string, Record<string, unknown>>>;
type Call = (
  path: string,
  init: Record<string, unknown>,
) => Promise<{
  data?: unknown;
  error?: unknown;
  response: Response;
}>;

// Every built document, so later documents are covered with no new code.
describe.each(builtServices())('$service mock', ({ service, catalog: catalogFile }) => {
  const document = loadDocument(service);
  const catalog = loadCatalog(catalogFile);
  const passed: string[] = [];
  let client: AnyClient;

  beforeAll(async () => {
    const module = await import(`../../src/client/${service}.ts`);
    client = module[factoryName(service)]({ origin: mockOrigin(), retry: false });
  });
  afterAll(() => {
    process.stdout.write(`\n${service} mock: ${passed.length}/${document.pairs.length} pairs\n`);
  });

  it.each(document.pairs)('$operationId answers $code', async ({ operationId, code }) => {
    const request = document.validRequest(operationId);
    const call = client[request.method.toUpperCase() as 'GET'] as unknown as Call;
    const multipart = request.contentType === 'multipart/form-data';
    const { data, error, response } = await call(request.path, {
      params: request.params,
      headers: {
        ...request.headers,
        // fetch writes the multipart content type itself, with its boundary.
        ...(request.contentType && !multipart && { 'content-type': request.contentType }),
        prefer: `example=${code}`,
      },
      body: multipart ? formData(request.body, request.fileFields) : request.body,
      ...(request.contentType &&
        !request.contentType.includes('json') && { bodySerializer: (body: unknown) => body }),
    });
    const answer = error ?? data;
    const expected = document.example(operationId, code);
    const entry = catalog.errors.find((candidate) => candidate.name === code);

    expect(response.status).toBe(expected.status);
    expect(response.status).toBe(entry?.status);
    expect(response.headers.get('content-type')).toContain(expected.contentType);
    expect(answer).toEqual(expected.value);
    expect(document.validate(operationId, response.status, expected.contentType, answer)).toEqual(
      [],
    );
    if (entry?.surface !== 'field') {
      expect(identifyError(catalog, answer)?.entry.name).toBe(code);
    }
    passed.push(`${operationId} ${code}`);
  });
});

/** A multipart body from an example: its file fields as files, the others as text. */
function formData(body: unknown, fileFields: string[] = []): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (fileFields.includes(name)) {
      form.append(name, new Blob([String(value)], { type: 'text/markdown' }), `${name}.md`);
    } else {
      form.append(name, String(value));
    }
  }
  return form;
}
