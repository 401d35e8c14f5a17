import type { IncomingMessage } from 'node:http';

/** A request whose body bytes were kept as they arrived, for signatures over them. */
export type RequestWithRawBody = IncomingMessage & { rawBody?: Buffer };

/** The body parsers' `verify` hook that keeps those bytes. */
export function keepRawBody(request: RequestWithRawBody, _response: unknown, buffer: Buffer) {
  request.rawBody = buffer;
}
