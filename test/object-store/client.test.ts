import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createObjectStore,
  isObjectStoreError,
  type ObjectStore,
  ObjectStoreError,
} from '../../src/object-store/client.ts';
import {
  type ObjectStoreStandIn,
  startObjectStoreStandIn,
} from '../../src/object-store/standin.ts';

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

/** Every call the client makes, so each is shown to fail the same way. */
const calls: [string, (store: ObjectStore) => Promise<unknown>][] = [
  ['put', (store) => store.put('uploads/ab12.png', png, 'image/png')],
  ['get', (store) => store.get('uploads/ab12.png')],
  ['delete', (store) => store.delete('uploads/ab12.png')],
];

async function storeError(call: Promise<unknown>) {
  const error = await call.then(
    () => expect.fail('the call succeeded'),
    (e: unknown) => e,
  );
  expect(isObjectStoreError(error)).toBe(true);
  return error as ObjectStoreError;
}

describe.each([
  { backend: 'memory', directory: false },
  { backend: 'a directory', directory: true },
])('against a stand-in in $backend', ({ directory }) => {
  let standIn: ObjectStoreStandIn;
  let store: ObjectStore;
  let root: string | undefined;

  beforeEach(async () => {
    root = directory ? await mkdtemp(join(tmpdir(), 'object-store-')) : undefined;
    standIn = await startObjectStoreStandIn({ directory: root });
    store = createObjectStore(standIn.url, { timeoutMs: 2000 });
  });

  afterEach(async () => {
    await standIn.close();
    if (root !== undefined) {
      await rm(root, { recursive: true, force: true });
    }
  });

  it.each([
    { key: 'uploads/ab12.png', contentType: 'image/png' },
    { key: 'outputs/1887952812474667009/9-1.png', contentType: 'image/png' },
    { key: 'uploads/a photo ü #1?.jpg', contentType: 'image/jpeg' },
    { key: 'notes.txt', contentType: 'text/plain; charset=utf-8' },
  ])('stores, reads and deletes $key', async ({ key, contentType }) => {
    await store.put(key, png, contentType);
    expect(await store.get(key)).toEqual({ bytes: png, contentType });
    await store.delete(key);
    expect(await store.get(key)).toBeUndefined();
  });

  it('replaces an object stored under the same key', async () => {
    await store.put('uploads/a.png', png, 'image/png');
    await store.put('uploads/a.png', new Uint8Array([7]), 'image/webp');
    expect(await store.get('uploads/a.png')).toEqual({
      bytes: new Uint8Array([7]),
      contentType: 'image/webp',
    });
  });

  it('reads a missing object as undefined and deletes it as a no-op', async () => {
    expect(await store.get('uploads/missing.png')).toBeUndefined();
    await expect(store.delete('uploads/missing.png')).resolves.toBeUndefined();
  });

  it('stores an empty object', async () => {
    await store.put('empty', new Uint8Array(), 'application/octet-stream');
    expect(await store.get('empty')).toEqual({
      bytes: new Uint8Array(),
      contentType: 'application/octet-stream',
    });
  });

  it('gives a public URL that plain fetch reads', async () => {
    const key = 'outputs/1887952812474667009/9 1.png';
    await store.put(key, png, 'image/png');
    const response = await fetch(store.publicUrl(key));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(png);
  });
});

describe('a store with limited capacity', () => {
  let standIn: ObjectStoreStandIn;
  let store: ObjectStore;

  beforeEach(async () => {
    standIn = await startObjectStoreStandIn({ capacityBytes: 10 });
    store = createObjectStore(standIn.url, { timeoutMs: 2000 });
  });

  afterEach(() => standIn.close());

  it('refuses a PUT past capacity with ObjectStoreError 507 and stores nothing', async () => {
    await store.put('a', new Uint8Array(8), 'application/octet-stream');
    const error = await storeError(store.put('b', new Uint8Array(3), 'application/octet-stream'));
    expect(error.status).toBe(507);
    expect(error).toBeInstanceOf(ObjectStoreError);
    expect(error.name).toBe('ObjectStoreError');
    expect(await store.get('b')).toBeUndefined();
    expect((await store.get('a'))?.bytes).toEqual(new Uint8Array(8));
  });

  it('replaces an object when only the difference fits', async () => {
    await store.put('a', new Uint8Array(8), 'application/octet-stream');
    await store.put('a', new Uint8Array(10).fill(1), 'application/octet-stream');
    expect((await store.get('a'))?.bytes).toEqual(new Uint8Array(10).fill(1));
    expect((await storeError(store.put('b', png.slice(0, 1), 'image/png'))).status).toBe(507);
    await store.delete('a');
    await store.put('b', png.slice(0, 1), 'image/png');
  });
});

describe('keys', () => {
  it.each([
    ['http://store.test/bucket', 'uploads/ab12.png', 'http://store.test/bucket/uploads/ab12.png'],
    ['http://store.test/b/', 'a b/ü#?.png', 'http://store.test/b/a%20b/%C3%BC%23%3F.png'],
    ['http://store.test', 'outputs/1/9-1.png', 'http://store.test/outputs/1/9-1.png'],
  ])('under %s, publicUrl(%j) is %s', (baseUrl, key, url) => {
    expect(createObjectStore(baseUrl).publicUrl(key)).toBe(url);
  });

  const badKeys = ['', '/uploads/a.png', 'uploads/', 'uploads//a.png', '.', '..', 'uploads/../a'];
  const methods: [string, (store: ObjectStore, key: string) => Promise<unknown>][] = [
    ['put', (store, key) => store.put(key, png, 'image/png')],
    ['get', (store, key) => store.get(key)],
    ['delete', (store, key) => store.delete(key)],
    ['publicUrl', async (store, key) => store.publicUrl(key)],
  ];

  it.each(methods)('%s refuses bad keys with a plain Error, sending nothing', async (_, call) => {
    const fetch = vi.fn(async () => new Response(null, { status: 200 }));
    const store = createObjectStore('http://store.test', { fetch });
    for (const key of badKeys) {
      const error = await call(store, key).then(
        () => expect.fail(`${JSON.stringify(key)} was accepted`),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect(isObjectStoreError(error)).toBe(false);
    }
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('a store that cannot answer', () => {
  it.each(calls)('%s against a closed port throws ObjectStoreError', async (_, call) => {
    const standIn = await startObjectStoreStandIn();
    await standIn.close();
    const error = await storeError(call(createObjectStore(standIn.url)));
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.status).toBeUndefined();
  });

  it.each(calls)('%s that gets no answer in time throws ObjectStoreError', async (_, call) => {
    // A server that accepts the request and never answers it.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const started = Date.now();
    try {
      const store = createObjectStore(`http://127.0.0.1:${port}`, { timeoutMs: 100 });
      const error = await storeError(call(store));
      expect((error.cause as Error).name).toBe('TimeoutError');
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  describe.each([403, 500, 503, 507])('answered with HTTP %i', (status) => {
    it.each(calls)('%s throws ObjectStoreError with the status', async (_, call) => {
      const fetch = async () => new Response('<Error/>', { status });
      const error = await storeError(call(createObjectStore('http://store.test', { fetch })));
      expect(error.status).toBe(status);
    });
  });

  it.each(calls)('%s whose answer breaks off throws ObjectStoreError', async (_, call) => {
    const reset = new Error('connection reset');
    const body = new ReadableStream({ start: (controller) => controller.error(reset) });
    const fetch = async () => new Response(body, { status: 200 });
    const error = await storeError(call(createObjectStore('http://store.test', { fetch })));
    expect(error.cause).toBe(reset);
  });
});
