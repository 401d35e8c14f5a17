/**
 * A task-market write, as its signature covers it. The server and the typed client both sign
 * `canonicalRequest` (HMAC-SHA256 with the token's signing key, hex).
 */
export interface SignedRequest {
  method: string;
  /** Path with query, as sent: `/task-market/tasks?limit=5`. */
  path: string;
  /** Unix seconds, digits only. */
  timestamp: string;
  /** The Content-Type header as sent; '' without one. */
  contentType: string;
  /** The Content-Encoding header as sent; '' without one. */
  contentEncoding: string;
  /** The Idempotency-Key header as sent; '' without one. */
  idempotencyKey: string;
  /** Hex SHA-256 of the body's bytes as sent. */
  bodyHash: string;
}

/**
 * The signed text, one item a line: method, path with query, X-Timestamp, Content-Type,
 * Content-Encoding, Idempotency-Key and the body's hash. Content-Type and Content-Encoding say
 * how the server reads the bytes (the same bytes under another charset are another request); the
 * key tells two identical writes of one second apart (a signature is good once).
 */
export function canonicalRequest(request: SignedRequest): string {
  return [
    request.method.toUpperCase(),
    request.path,
    request.timestamp,
    request.contentType,
    request.contentEncoding,
    request.idempotencyKey,
    request.bodyHash,
  ].join('\n');
}

/** What X-Timestamp must look like: Unix seconds, digits only (no `0x…`, `1e9`, `.5`). */
export const timestampFormat = /^\d{1,12}$/;
