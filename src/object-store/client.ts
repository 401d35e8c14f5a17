/** A stored object: its bytes and the content type it was stored with. */
export interface StoredObject {
  bytes: Uint8Array;
  contentType: string;
}

/**
 * An object store addressed by keys such as `uploads/ab12.png`: every method throws a plain
 * `Error` for a key `isObjectKey` refuses, and `ObjectStoreError` when the store cannot answer.
 */
export interface ObjectStore {
  /** Stores the object, replacing one of the same key. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The object, or `undefined` when there is none under `key`. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Removes the object; a no-op when there is none. */
  delete(key: string): Promise<void>;
  /** Where a plain HTTP GET fetches the object. */
  publicUrl(key: string): string;
}

export interface ObjectStoreOptions {
  /** Per request, including reading the answer; 10 s by default. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Thrown when the store cannot be reached, answers too late, or answers an unexpected status. */
export class ObjectStoreError extends Error {
  override name = 'ObjectStoreError';

  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `error` is an `ObjectStoreError`. */
export const isObjectStoreError = (error: unknown): error is ObjectStoreError =>
  error instanceof ObjectStoreError;

/** Whether `key` is `/`-separated segments, none empty, `.` or `..`: a key naming one object. */
export const isObjectKey = (key: string): boolean =>
  key.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');

/** The status and the whole body of one answer. */
interface Answer {
  status: number;
  bytes: Uint8Array;
  contentType: string | null;
}

/** A client for the S3-compatible store (or stand-in) at `baseUrl`, in path style. */
export function createObjectStore(baseUrl: string, options: ObjectStoreOptions = {}): ObjectStore {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fetchImpl = options.fetch ?? fetch;

  const publicUrl = (key: string) => {
    if (!isObjectKey(key)) {
      throw new Error(`Not an object key: ${JSON.stringify(key)}`);
    }
    return `${base}/${key.split('/').map(encodeURIComponent).join('/')}`;
  };
  // The body is read under the same timeout: a store that stalls mid-answer is as unavailable.
  const call = async (method: string, key: string, init: RequestInit = {}): Promise<Answer> => {
    const url = publicUrl(key);
    try {
      const response = await fetchImpl(url, {
        ...init,
        method,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      const contentType = response.headers.get('content-type');
      return { status: response.status, bytes, contentType };
    } catch (error) {
      const message = `Object store at ${base} did not answer ${method} ${key}`;
      throw new ObjectStoreError(message, undefined, { cause: error });
    }
  };
  const unexpected = (method: string, key: string, status: number) =>
    new ObjectStoreError(`Object store answered ${method} ${key} with HTTP ${status}`, status);
  const ok = (status: number) => status >= 200 && status < 300;

  return {
    async put(key, bytes, contentType) {
      // Copied: a request body takes only views over an ArrayBuffer, not a SharedArrayBuffer.
      const body = new Uint8Array(bytes);
      const { status } = await call('PUT', key, { body, headers: { 'content-type': contentType } });
      if (!ok(status)) {
        throw unexpected('PUT', key, status);
      }
    },
    async get(key) {
      const { status, bytes, contentType } = await call('GET', key);
      if (status === 404) {
        return undefined;
      }
      if (status !== 200) {
        throw unexpected('GET', key, status);
      }
      return { bytes, contentType: contentType ?? 'application/octet-stream' };
    },
    async delete(key) {
      const { status } = await call('DELETE', key);
      if (!ok(status) && status !== 404) {
        throw unexpected('DELETE', key, status);
      }
    },
    publicUrl,
  };
}
