import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isObjectKey, type StoredObject } from './client.ts';

export interface ObjectStoreStandInOptions {
  /** Where objects are kept as files, surviving a restart; in memory when absent. */
  directory?: string;
  /** The most bytes stored at once: a PUT past it answers 507. Unlimited by default. */
  capacityBytes?: number;
}

export interface ObjectStoreStandIn {
  url: string;
  close(): Promise<void>;
}

/** Where the objects live; its caller knows which keys exist and reads only those. */
interface Shelf {
  /** The size of every object there when the stand-in started. */
  sizes: Map<string, number>;
  read(key: string): Promise<StoredObject | undefined>;
  write(key: string, object: StoredObject): Promise<void>;
  remove(key: string): Promise<void>;
}

function memoryShelf(): Shelf {
  const objects = new Map<string, StoredObject>();
  return {
    sizes: new Map(),
    read: async (key) => objects.get(key),
    write: async (key, object) => {
      objects.set(key, object);
    },
    remove: async (key) => {
      objects.delete(key);
    },
  };
}

// Dots are encoded too, so no object's file name has one: `.content-type` sidecars and `.tmp-`
// files never clash with an object, and no name is `.` or `..`.
const fileName = (key: string) => encodeURIComponent(key).replaceAll('.', '%2E');

/** Objects as files named by their encoded key, each with a `.content-type` sidecar. */
async function diskShelf(directory: string): Promise<Shelf> {
  await mkdir(directory, { recursive: true });
  const path = (key: string, suffix = '') => join(directory, fileName(key) + suffix);
  // Written aside and renamed into place: neither a reader nor a crash sees a partial file.
  const replace = async (target: string, data: Uint8Array | string) => {
    const temporary = join(directory, `.tmp-${randomUUID()}`);
    try {
      await writeFile(temporary, data);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  };
  const sizes = new Map<string, number>();
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    if (entry.isFile() && !entry.name.includes('.')) {
      sizes.set(decodeURIComponent(entry.name), (await stat(join(directory, entry.name))).size);
    }
  }
  return {
    sizes,
    read: async (key) => ({
      bytes: await readFile(path(key)),
      contentType: await readFile(path(key, '.content-type'), 'utf8'),
    }),
    // The object's own rename commits it: a crash just before leaves no object, or the previous
    // bytes (under the new content type at worst), never partial ones.
    write: async (key, { bytes, contentType }) => {
      await replace(path(key, '.content-type'), contentType);
      await replace(path(key), bytes);
    },
    remove: async (key) => {
      await rm(path(key), { force: true });
      await rm(path(key, '.content-type'), { force: true });
    },
  };
}

/** The shelf behind one lock, so each PUT checks the capacity after every request before it. */
function createStore(shelf: Shelf, capacity: number) {
  const { sizes } = shelf;
  let used = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  let last: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const result = last.then(work);
    last = result.catch(() => {});
    return result;
  };
  return {
    capacity,
    get: (key: string) => exclusive(async () => (sizes.has(key) ? shelf.read(key) : undefined)),
    /** Whether the object was `created`, `replaced`, or refused because the store is `full`. */
    put: (key: string, object: StoredObject) =>
      exclusive(async () => {
        const previous = sizes.get(key);
        // A replaced object's bytes are freed, so only the difference counts.
        const growth = object.bytes.byteLength - (previous ?? 0);
        if (used + growth > capacity) {
          return 'full';
        }
        await shelf.write(key, object);
        sizes.set(key, object.bytes.byteLength);
        used += growth;
        return previous === undefined ? 'created' : 'replaced';
      }),
    /** Whether there was an object to delete. */
    delete: (key: string) =>
      exclusive(async () => {
        const size = sizes.get(key);
        if (size === undefined) {
          return false;
        }
        await shelf.remove(key);
        sizes.delete(key);
        used -= size;
        return true;
      }),
  };
}

type Store = ReturnType<typeof createStore>;

/** What the stand-in answers: a stored object, or an empty body. */
type Answer = { status: number; object?: StoredObject; headers?: Record<string, string> };

/** The key a request path names; `undefined` for `.`/`..` (encoded or not), `//`, bad escapes. */
function keyOf(url: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  if (!path.startsWith('/')) {
    return undefined;
  }
  try {
    // Checked after decoding, so `%2e%2e` and `%2F` cannot smuggle a segment past the check.
    const key = path.slice(1).split('/').map(decodeURIComponent).join('/');
    return isObjectKey(key) ? key : undefined;
  } catch {
    // A malformed escape such as `%E0%A4%A`.
    return undefined;
  }
}

/**
 * The request's body, or `undefined` once it passes `limit` bytes (the rest is read and dropped).
 * Rejects when the client goes away mid-body, so a cut-short upload is never stored.
 */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length <= limit) {
      chunks.push(chunk);
    }
  }
  return length <= limit ? Buffer.concat(chunks) : undefined;
}

const methods = ['GET', 'HEAD', 'PUT', 'DELETE'];

/** Answers one request. */
async function route(store: Store, request: IncomingMessage): Promise<Answer> {
  const method = request.method ?? '';
  if (!methods.includes(method)) {
    return { status: 405, headers: { allow: methods.join(', ') } };
  }
  const key = keyOf(request.url ?? '');
  if (key === undefined) {
    return { status: 400 };
  }
  if (method === 'PUT') {
    const bytes = await readBody(request, store.capacity);
    if (bytes === undefined) {
      return { status: 507 };
    }
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    const result = await store.put(key, { bytes, contentType });
    return { status: { created: 201, replaced: 200, full: 507 }[result] };
  }
  if (method === 'DELETE') {
    return { status: (await store.delete(key)) ? 204 : 404 };
  }
  const object = await store.get(key);
  return object === undefined ? { status: 404 } : { status: 200, object };
}

const send = (response: ServerResponse, head: boolean, { status, object, headers }: Answer) => {
  if (object === undefined) {
    response.writeHead(status, headers).end();
    return;
  }
  response.writeHead(status, {
    'content-type': object.contentType,
    'content-length': object.bytes.byteLength,
  });
  response.end(head ? undefined : object.bytes);
};

/** Answers with a status whatever happens: nothing a client sends can throw out of the server. */
async function handle(store: Store, request: IncomingMessage, response: ServerResponse) {
  let answer: Answer;
  try {
    answer = await route(store, request);
  } catch {
    // A failed disk read or write, or an upload cut short.
    answer = { status: 500 };
  }
  try {
    send(response, request.method === 'HEAD', answer);
  } catch {
    // A stored content type Node refuses as a header value.
    response.destroy();
  }
}

/**
 * A local S3-compatible store answering path-style `PUT`, `GET`, `HEAD` and `DELETE /{key}`, for
 * `npm start` and tests; production points the object store at a real one.
 */
export async function startObjectStoreStandIn(
  options: ObjectStoreStandInOptions = {},
): Promise<ObjectStoreStandIn> {
  const shelf =
    options.directory === undefined ? memoryShelf() : await diskShelf(options.directory);
  const store = createStore(shelf, options.capacityBytes ?? Number.POSITIVE_INFINITY);
  const server = createServer((request, response) => {
    void handle(store, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
