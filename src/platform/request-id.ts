import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const format = /^req_[0-9a-f-]{36}$/;

/** The request's id: the caller's `X-Request-Id` when it has our format, else a new one. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && format.test(given) ? given : newRequestId();
}

/** A new request id: `req_<uuid>`. */
export function newRequestId(): string {
  return `req_${randomUUID()}`;
}
