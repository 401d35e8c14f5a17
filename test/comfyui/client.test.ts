import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  type ComfyClient,
  createComfyClient,
  isComfyUnavailableError,
} from '../../src/comfyui/client.ts';
import { startComfyStandIn } from '../../src/comfyui/standin.ts';
import { textToImage } from './workflow.ts';

/** Every call the client makes, so each is shown to fail the same way. */
const calls: [string, (client: ComfyClient) => Promise<unknown>][] = [
  ['queuePrompt', (client) => client.queuePrompt(textToImage(), 'test')],
  ['queue', (client) => client.queue()],
  ['cancel', (client) => client.cancel('p')],
  ['history', (client) => client.history('p')],
  ['view', (client) => client.view({ filename: 'a.png', subfolder: '', type: 'output' })],
  ['uploadImage', (client) => client.uploadImage(new Uint8Array([1]), 'a.png', 'image/png')],
];

async function unavailable(call: Promise<unknown>) {
  const error = await call.then(
    () => expect.fail('the call succeeded'),
    (e: unknown) => e,
  );
  expect(isComfyUnavailableError(error)).toBe(true);
  return error as Error & { status?: number };
}

describe('a ComfyUI that cannot answer', () => {
  it.each(calls)('%s against a closed port throws ComfyUnavailableError', async (_, call) => {
    const standIn = await startComfyStandIn();
    await standIn.close();
    const error = await unavailable(call(createComfyClient(standIn.url)));
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.status).toBeUndefined();
  });

  it.each(calls)('%s that gets no answer in time throws ComfyUnavailableError', async (_, call) => {
    // A server that accepts the request and never answers it.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const started = Date.now();
    try {
      const error = await unavailable(
        call(createComfyClient(`http://127.0.0.1:${port}`, { timeoutMs: 100 })),
      );
      expect((error.cause as Error).name).toBe('TimeoutError');
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it.each(calls)('%s answered with HTTP 500 throws ComfyUnavailableError', async (_, call) => {
    const fetch = async () => new Response('{"error": "out of memory"}', { status: 500 });
    const error = await unavailable(call(createComfyClient('http://comfy.invalid', { fetch })));
    expect(error.status).toBe(500);
  });

  it('a 200 that is not JSON throws ComfyUnavailableError, not a SyntaxError', async () => {
    const fetch = async () => new Response('<html>proxy</html>', { status: 200 });
    const error = await unavailable(createComfyClient('http://comfy.invalid', { fetch }).queue());
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});
