import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Clock } from '../platform/clock.ts';

/**
 * Attachments and avatars, each under its user's scope: `users/<user id>/attachments/<file>` in
 * the `attachments` bucket, `users/<user id>/avatar/<file>` in `avatars`. Objects are read (and
 * avatars uploaded) through URLs the storage signs, valid until they expire.
 */
export interface Storage {
  /** Stores an object, replacing one at the same path. */
  put(bucket: string, path: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** Removes an object; nothing to do when there is none. */
  delete(bucket: string, path: string): Promise<void>;
  /** Removes every object of a user, in every bucket, at once. */
  deleteScope(userId: string): Promise<void>;
  exists(bucket: string, path: string): Promise<boolean>;
  /** A URL that GETs the object until `expiresAt` (`ttlSeconds`, an hour by default). */
  signedUrl(bucket: string, path: string, ttlSeconds?: number): { url: string; expiresAt: Date };
  /**
   * A URL that PUTs the object until `expiresAt`: an image of `declared.contentType`, at most
   * `declared.maxBytes` (by default any of `imageTypes`, at most `maxImageBytes`).
   */
  signedUploadUrl(
    bucket: string,
    path: string,
    ttlSeconds?: number,
    declared?: DeclaredUpload,
  ): { url: string; expiresAt: Date };
  /** What a URL claims to be: one of this storage's, its object, and whether it still reads. */
  inspectUrl(url: string): UrlInspection;
}

export interface DeclaredUpload {
  contentType: string;
  maxBytes: number;
}

export interface UrlInspection {
  /** Whether the URL is under this storage's public origin. */
  hostAllowed: boolean;
  /** The host that origin has. */
  allowedHosts: string[];
  bucket?: string;
  path?: string;
  /** Whether this storage signed it to read that object. */
  signatureValid: boolean;
  expired: boolean;
}

/** Thrown when the storage cannot be reached: its server stopped, or its directory is gone. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

/** Thrown when the storage is there but could not write or remove what it was asked to. */
export class StorageWriteError extends Error {
  override name = 'StorageWriteError';
}

export const isStorageUnavailableError = (error: unknown): error is StorageUnavailableError =>
  error instanceof StorageUnavailableError;
export const isStorageWriteError = (error: unknown): error is StorageWriteError =>
  error instanceof StorageWriteError;

/** The images the storage keeps, by the media type they are stored and served with. */
export const imageTypes = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type ImageType = (typeof imageTypes)[number];
export const isImageType = (value: string): value is ImageType =>
  (imageTypes as readonly string[]).includes(value);
/** The largest image: 5 MiB. */
export const maxImageBytes = 5 * 1024 * 1024;
const defaultUrlTtlSeconds = 3600;

/** The type an image's first bytes say it is, among `imageTypes`. */
export function imageTypeOf(bytes: Uint8Array): ImageType | undefined {
  const head = Buffer.from(bytes.subarray(0, 12));
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'image/png';
  }
  if (head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) {
    return 'image/jpeg';
  }
  const riff = head.toString('latin1');
  return riff.startsWith('RIFF') && riff.slice(8, 12) === 'WEBP' ? 'image/webp' : undefined;
}

/** The folder of a user's scope each bucket keeps its objects in. */
const areas: Record<string, string> = { attachments: 'attachments', avatars: 'avatar' };

const userIds = /^[A-Za-z0-9_-]{1,64}$/;
// A file name never starts with a dot: the disk's temporary files and type sidecars do.
const objectPaths = /^users\/([A-Za-z0-9_-]{1,64})\/([a-z]+)\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/;

/** Where `file` of a user goes in `bucket`. */
export function objectPath(bucket: 'attachments' | 'avatars', userId: string, file: string) {
  return `users/${userId}/${areas[bucket]}/${file}`;
}

/** The user whose scope holds `path` in `bucket`; `undefined` when it is no object path of it. */
export function ownerOf(bucket: string, path: string): string | undefined {
  const match = objectPaths.exec(path);
  return match && Object.hasOwn(areas, bucket) && areas[bucket] === match[2] ? match[1] : undefined;
}

function checkedPath(bucket: string, path: string): string {
  if (ownerOf(bucket, path) === undefined) {
    throw new Error(`not an object of bucket ${bucket}: ${JSON.stringify(path)}`);
  }
  return path;
}

function checkedUser(userId: string): string {
  if (!userIds.test(userId)) {
    throw new Error(`not a user id: ${JSON.stringify(userId)}`);
  }
  return userId;
}

interface StoredObject {
  bytes: Uint8Array;
  contentType: string;
}

/** Where the objects live, by path (the path names its bucket's folder). */
interface Shelf {
  /** Whether the place they live in is gone. */
  gone(): boolean;
  read(path: string): Promise<StoredObject | undefined>;
  has(path: string): Promise<boolean>;
  write(path: string, object: StoredObject): Promise<void>;
  remove(path: string): Promise<void>;
  removeScope(userId: string): Promise<void>;
}

function memoryShelf(): Shelf {
  const objects = new Map<string, StoredObject>();
  return {
    gone: () => false,
    read: async (path) => objects.get(path),
    has: async (path) => objects.has(path),
    write: async (path, object) => {
      objects.set(path, { bytes: new Uint8Array(object.bytes), contentType: object.contentType });
    },
    remove: async (path) => {
      objects.delete(path);
    },
    removeScope: async (userId) => {
      for (const path of [...objects.keys()].filter((key) => key.startsWith(`users/${userId}/`))) {
        objects.delete(path);
      }
    },
  };
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/**
 * Objects as files under `directory` at their path, each with a `.<name>.type` sidecar, written
 * aside and renamed into place. A missing directory is the storage gone (an unmounted volume);
 * one that is there but cannot be read is unavailable too, and one that refuses a write (or a
 * removal) is a write failure.
 */
async function diskShelf(directory: string): Promise<Shelf> {
  await mkdir(directory, { recursive: true });
  // Temporary files and removed scopes an earlier run left behind, cut short.
  for (const name of await readdir(directory)) {
    if (name.startsWith('.')) {
      await rm(join(directory, name), { recursive: true, force: true });
    }
  }
  const file = (path: string) => join(directory, ...path.split('/'));
  const typeFile = (path: string) => join(dirname(file(path)), `.${basename(path)}.type`);
  const reading = async <T>(path: string, read: () => Promise<T>, absent: T): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        return absent;
      }
      throw new StorageUnavailableError(`cannot read ${path}`, { cause: error });
    }
  };
  const writing = async (what: string, write: () => Promise<void>) => {
    try {
      await write();
    } catch (error) {
      throw new StorageWriteError(`cannot ${what}`, { cause: error });
    }
  };
  // Neither a reader nor a crash sees a partial file: the rename is the write.
  const replace = async (target: string, data: Uint8Array | string) => {
    const aside = join(directory, `.tmp-${randomUUID()}`);
    try {
      await writeFile(aside, data);
      await rename(aside, target);
    } catch (error) {
      await rm(aside, { force: true }).catch(() => undefined);
      throw error;
    }
  };
  return {
    gone: () => !existsSync(directory),
    read: (path) =>
      reading(
        path,
        async () => ({
          bytes: await readFile(file(path)),
          contentType: await readFile(typeFile(path), 'utf8'),
        }),
        undefined,
      ),
    has: (path) => reading(path, async () => (await stat(file(path))).isFile(), false),
    // The object's own rename commits it, its type written first.
    write: (path, { bytes, contentType }) =>
      writing(`write ${path}`, async () => {
        await mkdir(dirname(file(path)), { recursive: true });
        await replace(typeFile(path), contentType);
        await replace(file(path), bytes);
      }),
    remove: (path) =>
      writing(`remove ${path}`, async () => {
        await rm(file(path), { force: true });
        await rm(typeFile(path), { force: true });
      }),
    // One rename takes the whole scope away; what is left of it is removed after, or at the next start.
    removeScope: (userId) =>
      writing(`remove the files of ${userId}`, async () => {
        const removed = join(directory, `.removed-${randomUUID()}`);
        try {
          await rename(join(directory, 'users', userId), removed);
        } catch (error) {
          if (errorCode(error) === 'ENOENT') {
            return;
          }
          throw error;
        }
        await rm(removed, { recursive: true, force: true }).catch(() => undefined);
      }),
  };
}

/** What a signature covers: who may do what to which object, until when. */
interface Grant {
  method: string;
  bucket: string;
  path: string;
  /** Unix seconds. */
  expires: number;
  declared?: DeclaredUpload;
}

const expiresParam = 'X-Expires';
const signatureParam = 'X-Signature';
const typeParam = 'X-Content-Type';
const maxBytesParam = 'X-Max-Bytes';

function signature(secret: Uint8Array, grant: Grant): string {
  const covered = [
    'divination-storage',
    grant.method,
    grant.bucket,
    grant.path,
    grant.expires,
    grant.declared?.contentType ?? '',
    grant.declared?.maxBytes ?? '',
  ];
  return createHmac('sha256', secret).update(covered.join('\n')).digest('base64url');
}

function sameSignature(given: string, expected: string): boolean {
  const [a, b] = [Buffer.from(given), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A request path's bucket and object path (decoded); `undefined` when it names none. */
function locate(pathname: string): { bucket: string; path: string } | undefined {
  try {
    const [bucket, ...rest] = pathname.replace(/^\//, '').split('/').map(decodeURIComponent);
    return bucket && rest.length > 0 ? { bucket, path: rest.join('/') } : undefined;
  } catch {
    return undefined;
  }
}

/** What a URL claims to grant: a signature this storage made for `method`, or none. */
type Claim =
  | (Grant & { valid: true })
  | { valid: false; bucket?: string; path?: string; expires?: number };

function claimed(secret: Uint8Array, method: string, url: URL, basePath: string): Claim {
  const located = locate(url.pathname.slice(basePath.length));
  const query = url.searchParams;
  const expires = Number(query.get(expiresParam) ?? Number.NaN);
  if (!located || !Number.isSafeInteger(expires)) {
    return { ...located, valid: false };
  }
  const contentType = query.get(typeParam);
  const declared =
    contentType === null
      ? undefined
      : { contentType, maxBytes: Number(query.get(maxBytesParam) ?? Number.NaN) };
  const grant: Grant = { method, ...located, expires, declared };
  return sameSignature(query.get(signatureParam) ?? '', signature(secret, grant))
    ? { ...grant, valid: true }
    : { ...grant, valid: false };
}

interface LocalStorageOptions {
  /** Where the objects are kept; in memory when absent. */
  directory?: string;
  /** Signs the URLs. */
  secret: Uint8Array;
  clock: Clock;
  /** The origin (and path) signed URLs use, in front of this server; its own URL by default. */
  publicUrl?: string;
}

/**
 * The storage on local disk (or in memory) behind a small HTTP server on 127.0.0.1 that answers
 * signed GETs of objects and signed PUTs of uploads: 403 for a signature that is not the
 * storage's or has expired, 404 for an object that is not there.
 */
export async function startLocalStorage(
  options: LocalStorageOptions,
): Promise<{ storage: Storage; url: string; close(): Promise<void> }> {
  const { secret, clock } = options;
  const shelf =
    options.directory === undefined ? memoryShelf() : await diskShelf(options.directory);
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const base = new URL(options.publicUrl ?? url);
  const basePath = base.pathname.replace(/\/+$/, '');

  /** The shelf, while the server answers (objects no URL reaches are no use) and it is there. */
  const reachable = () => {
    if (!server.listening) {
      throw new StorageUnavailableError('the storage server has stopped');
    }
    if (shelf.gone()) {
      throw new StorageUnavailableError(`the storage directory ${options.directory} is gone`);
    }
    return shelf;
  };
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  function sign(grant: Omit<Grant, 'expires'>, ttlSeconds = defaultUrlTtlSeconds) {
    const expires = nowSeconds() + ttlSeconds;
    const signed = new URL(
      `${basePath}/${grant.bucket}/${grant.path.split('/').map(encodeURIComponent).join('/')}`,
      base,
    );
    signed.searchParams.set(expiresParam, String(expires));
    if (grant.declared) {
      signed.searchParams.set(typeParam, grant.declared.contentType);
      signed.searchParams.set(maxBytesParam, String(grant.declared.maxBytes));
    }
    signed.searchParams.set(signatureParam, signature(secret, { ...grant, expires }));
    return { url: signed.toString(), expiresAt: new Date(expires * 1000) };
  }

  const storage: Storage = {
    put: async (bucket, path, bytes, contentType) =>
      reachable().write(checkedPath(bucket, path), { bytes, contentType }),
    delete: async (bucket, path) => reachable().remove(checkedPath(bucket, path)),
    deleteScope: async (userId) => reachable().removeScope(checkedUser(userId)),
    exists: async (bucket, path) => reachable().has(checkedPath(bucket, path)),
    signedUrl: (bucket, path, ttlSeconds) =>
      sign({ method: 'GET', bucket, path: checkedPath(bucket, path) }, ttlSeconds),
    signedUploadUrl(bucket, path, ttlSeconds, declared) {
      // An upload URL is used at once: one to a storage that is not there cannot be given.
      reachable();
      return sign({ method: 'PUT', bucket, path: checkedPath(bucket, path), declared }, ttlSeconds);
    },
    inspectUrl(text) {
      const allowedHosts = [base.host];
      const url = URL.canParse(text) ? new URL(text) : undefined;
      if (url?.origin !== base.origin || !url.pathname.startsWith(`${basePath}/`)) {
        return { hostAllowed: false, allowedHosts, signatureValid: false, expired: false };
      }
      const { bucket, path, valid, expires } = claimed(secret, 'GET', url, basePath);
      const expired = expires !== undefined && expires <= nowSeconds();
      return { hostAllowed: true, allowedHosts, bucket, path, signatureValid: valid, expired };
    },
  };

  async function handle(request: IncomingMessage, response: ServerResponse) {
    let answer: Answer;
    try {
      answer = await route(request);
    } catch (error) {
      answer = { status: isStorageUnavailableError(error) ? 503 : 500 };
    }
    // Whatever of a refused upload was not read, so that the client reads the answer.
    request.resume();
    await finished(request).catch(() => undefined);
    const { status, object } = answer;
    if (!object) {
      response.writeHead(status).end();
      return;
    }
    response.writeHead(status, {
      'content-type': object.contentType,
      'content-length': object.bytes.byteLength,
      'cache-control': 'private',
      'x-content-type-options': 'nosniff',
    });
    response.end(object.bytes);
  }

  async function route(request: IncomingMessage): Promise<Answer> {
    const method = request.method ?? '';
    if (method !== 'GET' && method !== 'PUT') {
      return { status: 405 };
    }
    const claim = claimed(secret, method, new URL(request.url ?? '/', url), '');
    if (!claim.valid || claim.expires <= nowSeconds()) {
      return { status: 403 };
    }
    const path = checkedPath(claim.bucket, claim.path);
    if (method === 'GET') {
      const object = await reachable().read(path);
      return object ? { status: 200, object } : { status: 404 };
    }
    return upload(request, path, claim.declared);
  }

  /** A signed PUT: an image of the declared type, within the declared size, stored as any object. */
  async function upload(
    request: IncomingMessage,
    path: string,
    declared?: DeclaredUpload,
  ): Promise<Answer> {
    const contentType =
      (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const accepted = declared ? contentType === declared.contentType : isImageType(contentType);
    if (!accepted) {
      return { status: 415 };
    }
    const bytes = await readBody(
      request,
      Math.min(declared?.maxBytes ?? maxImageBytes, maxImageBytes),
    );
    if (bytes === undefined) {
      return { status: 413 };
    }
    if (imageTypeOf(bytes) !== contentType) {
      return { status: 415 };
    }
    await reachable().write(path, { bytes, contentType });
    return { status: 201 };
  }

  return {
    storage,
    url,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the server answers: a stored object, or a status alone. */
interface Answer {
  status: number;
  object?: StoredObject;
}

/** The body, or `undefined` when it passes `limit` bytes (the rest is read, not kept). */
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
