import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { createMockServer } from '../../mocks/server.ts';
import { builtServices } from '../../src/build/services.ts';

/**
 * Runs the mock of every built document on 127.0.0.1, on a port the system picks, around the
 * tests of the calling file, with the docs of `docsDir`. Returns its origin, known once those
 * tests run.
 */
export function useMock(docsDir?: string): () => string {
  let mock: Server | undefined;
  let origin = '';
  beforeAll(async () => {
    const server = await createMockServer(builtServices(), 'silent', docsDir);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mock = server;
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => (mock ? mock.close(() => resolve()) : resolve())));
  return () => origin;
}
