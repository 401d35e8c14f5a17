import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ObjectStoreStandIn,
  startObjectStoreStandIn,
} from '../../src/object-store/standin.ts';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request with its path sent as written: fetch would resolve `..` before sending it. */
function send(
  url: string,
  method: string,
  path: string,
  body?: Uint8Array,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, path, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

let roots: string[] = [];
const temporaryDirectory = async () => {
  const root = await mkdtemp(join(tmpdir(), 'object-store-standin-'));
  roots.push(root);
  return root;
};
let standIns: ObjectStoreStandIn[] = [];
const start = async (options?: Parameters<typeof startObjectStoreStandIn>[0]) => {
  const standIn = await startObjectStoreStandIn(options);
  standIns.push(standIn);
  return standIn;
};

afterEach(async () => {
  await Promise.all(standIns.map((standIn) => standIn.close()));
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
  standIns = [];
  roots = [];
});

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

describe.each([
  { backend: 'memory', directory: false },
  { backend: 'a directory', directory: true },
])('a stand-in in $backend', ({ directory }) => {
  let url: string;

  beforeEach(async () => {
    ({ url } = await start({ directory: directory ? await temporaryDirectory() : undefined }));
  });

  it('answers PUT 201, then 200 when replacing, GET and HEAD with the stored type', async () => {
    const path = '/uploads/ab12.png';
    expect((await send(url, 'PUT', path, png, { 'content-type': 'image/png' })).status).toBe(201);
    const get = await send(url, 'GET', path);
    expect(get).toMatchObject({ status: 200, body: png });
    expect(get.headers['content-type']).toBe('image/png');
    const head = await send(url, 'HEAD', path);
    expect(head).toMatchObject({ status: 200, body: Buffer.alloc(0) });
    expect(head.headers['content-length']).toBe(String(png.length));

    expect(
      (await send(url, 'PUT', path, Buffer.from('x'), { 'content-type': 'text/plain' })).status,
    ).toBe(200);
    const replaced = await send(url, 'GET', path);
    expect(replaced.body.toString()).toBe('x');
    expect(replaced.headers['content-type']).toBe('text/plain');
  });

  it('answers DELETE 204, then 404 to GET, HEAD and DELETE', async () => {
    await send(url, 'PUT', '/outputs/1/9-1.png', png);
    expect((await send(url, 'DELETE', '/outputs/1/9-1.png')).status).toBe(204);
    for (const method of ['GET', 'HEAD', 'DELETE']) {
      expect((await send(url, method, '/outputs/1/9-1.png')).status).toBe(404);
    }
  });

  it('keeps application/octet-stream for an object sent without a type', async () => {
    await send(url, 'PUT', '/blob', png);
    expect((await send(url, 'GET', '/blob')).headers['content-type']).toBe(
      'application/octet-stream',
    );
  });

  it('decodes each path segment into the key', async () => {
    await send(url, 'PUT', '/a%20b/%C3%BC.png', png);
    expect((await send(url, 'GET', '/a%20b/%c3%bc.png')).status).toBe(200);
    expect((await send(url, 'GET', '/a%20b/%C3%BC.png?x-id=GetObject')).status).toBe(200);
  });

  it.each(['POST', 'PATCH', 'OPTIONS'])('answers %s with 405', async (method) => {
    const reply = await send(url, method, '/uploads/ab12.png');
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD, PUT, DELETE');
  });

  it.each([
    '/',
    '/../escape',
    '/uploads/../../escape',
    '/%2e%2e/escape',
    '/uploads/%2E%2E/%2e%2E/escape',
    '/uploads%2F..%2F..%2Fescape',
    '/./a',
    '/uploads//a.png',
    '/uploads/',
    '/%E0%A4%A',
  ])('refuses the path %s with 400', async (path) => {
    for (const method of ['PUT', 'GET', 'DELETE']) {
      expect((await send(url, method, path, png)).status).toBe(400);
    }
  });
});

describe('a stand-in with limited capacity', () => {
  it('answers 507 to a PUT past capacity and stores nothing', async () => {
    const { url } = await start({ capacityBytes: 10 });
    expect((await send(url, 'PUT', '/a', Buffer.alloc(8))).status).toBe(201);
    expect((await send(url, 'PUT', '/b', Buffer.alloc(3))).status).toBe(507);
    expect((await send(url, 'GET', '/b')).status).toBe(404);
    expect((await send(url, 'PUT', '/b', Buffer.alloc(2))).status).toBe(201);
  });

  it('counts only the difference when replacing, and frees what it deletes', async () => {
    const { url } = await start({ capacityBytes: 10 });
    await send(url, 'PUT', '/a', Buffer.alloc(8));
    expect((await send(url, 'PUT', '/a', Buffer.alloc(10))).status).toBe(200);
    expect((await send(url, 'PUT', '/a', Buffer.alloc(11))).status).toBe(507);
    expect((await send(url, 'GET', '/a')).body.length).toBe(10);
    await send(url, 'DELETE', '/a');
    expect((await send(url, 'PUT', '/b', Buffer.alloc(10))).status).toBe(201);
  });

  it('answers 507 to a body far larger than capacity and keeps serving', async () => {
    const { url } = await start({ capacityBytes: 10 });
    expect((await send(url, 'PUT', '/big', Buffer.alloc(4 * 1024 * 1024))).status).toBe(507);
    expect((await send(url, 'GET', '/big')).status).toBe(404);
    expect((await send(url, 'PUT', '/small', Buffer.alloc(10))).status).toBe(201);
  });

  it('checks concurrent PUTs against each other', async () => {
    const { url } = await start({ capacityBytes: 10 });
    const replies = await Promise.all(
      ['/a', '/b', '/c'].map((path) => send(url, 'PUT', path, Buffer.alloc(4))),
    );
    expect(replies.map((reply) => reply.status).sort()).toEqual([201, 201, 507]);
  });
});

describe('a stand-in on disk', () => {
  it('keeps each object as one file and a content-type sidecar, inside its directory', async () => {
    const parent = await temporaryDirectory();
    const directory = join(parent, 'objects');
    const { url } = await start({ directory });
    await send(url, 'PUT', '/uploads/ab12.png', png, { 'content-type': 'image/png' });
    await send(url, 'PUT', '/../escape', png);
    await send(url, 'PUT', '/%2e%2e/escape', png);
    expect((await readdir(directory)).sort()).toEqual([
      'uploads%2Fab12%2Epng',
      'uploads%2Fab12%2Epng.content-type',
    ]);
    expect(await readdir(parent)).toEqual(['objects']);
  });

  it('serves and counts the objects already in its directory after a restart', async () => {
    const directory = await temporaryDirectory();
    const first = await start({ directory });
    await send(first.url, 'PUT', '/a.png', png, { 'content-type': 'image/png' });
    await first.close();

    const { url } = await start({ directory, capacityBytes: png.length + 1 });
    const get = await send(url, 'GET', '/a.png');
    expect(get).toMatchObject({ status: 200, body: png });
    expect(get.headers['content-type']).toBe('image/png');
    expect((await send(url, 'PUT', '/b', Buffer.alloc(2))).status).toBe(507);
  });

  it('answers 500, not a crash, when its directory is gone', async () => {
    const directory = await temporaryDirectory();
    const { url } = await start({ directory });
    await rm(directory, { recursive: true });
    expect((await send(url, 'PUT', '/a', png)).status).toBe(500);
    expect((await send(url, 'GET', '/a')).status).toBe(404);
    await mkdir(directory);
    expect((await send(url, 'PUT', '/a', png)).status).toBe(201);
  });
});

describe('requests that go wrong', () => {
  it('stores nothing of an upload cut short, and keeps serving', async () => {
    const directory = await temporaryDirectory();
    const { url } = await start({ directory });
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.write('PUT /cut HTTP/1.1\r\nHost: stand-in\r\nContent-Length: 100\r\n\r\n0123456789');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await send(url, 'GET', '/cut')).status).toBe(404);
    expect(await readdir(directory)).toEqual([]);
  });

  it('answers a malformed request with 400 and keeps serving', async () => {
    const { url } = await start();
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.end('NOT HTTP AT ALL\r\n\r\n');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect((await send(url, 'GET', '/a')).status).toBe(404);
  });

  it('close() ends open keep-alive connections and frees the port', async () => {
    const standIn = await startObjectStoreStandIn();
    const { port } = new URL(standIn.url);
    const idle = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => idle.on('connect', resolve));
    const closed = new Promise((resolve) => idle.on('close', resolve));
    await standIn.close();
    await closed;
    await expect(fetch(`${standIn.url}/a`)).rejects.toThrow();
  });
});
