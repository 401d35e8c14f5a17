import { type Server, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';
import type { FailureAnswerer } from './error-handler.ts';
import { PlatformError } from './failures.ts';
import { newRequestId } from './request-id.ts';

/**
 * The answerer of each service an app serves, by base path (`/task-market`), for the requests
 * Node's HTTP parser refuses before Express sees them. createServiceApp adds its own; an app
 * that mounts service apps gets theirs with `shareRefusedRequests`.
 */
export function refusedRequests(app: Express): Map<string, FailureAnswerer> {
  app.locals.refusedRequests ??= new Map<string, FailureAnswerer>();
  return app.locals.refusedRequests;
}

/** Makes `app` answer for the services `apps` serve, when it mounts them. */
export function shareRefusedRequests(app: Express, apps: Express[]): void {
  for (const mounted of apps) {
    for (const [basePath, answer] of refusedRequests(mounted)) {
      refusedRequests(app).set(basePath, answer);
    }
  }
}

/** A request Node cannot parse (`GET /tasks/caf\xE9`): a malformed path, by validation. */
const unparsable = new PlatformError({
  role: 'validation',
  issues: [
    { location: 'path', field: '', message: 'not a valid HTTP request target', keyword: 'format' },
  ],
});

/**
 * `app.listen`, on `host` (127.0.0.1 unless told), resolved once listening. A request Node's
 * HTTP parser refuses (a raw byte in its path, a bad header line) gets the answer of the service
 * its path names, in that service's envelope, instead of Node's bare 400 without a body.
 */
export async function listen(app: Express, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = app.listen(port, host);
  answerUnparsable(server, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Makes `server` answer what Node's HTTP parser refuses as the service `app` serves at its path does. */
export function answerUnparsable(server: Server, app: Express): void {
  server.on('clientError', (error: ClientError, socket: Socket) => refuse(app, error, socket));
}

/** The origin a server listens on: `http://127.0.0.1:<port>`. */
export function originOf(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

type ClientError = Error & { code?: string; rawPacket?: Buffer };

/** Node's own answers to what its parser refuses, for requests no service can answer. */
const nodeAnswers: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

function refuse(app: Express, error: ClientError, socket: Socket) {
  // As Node does: a socket that is gone or still answering an earlier request gets nothing more.
  const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || error.code === 'ECONNRESET' || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const target = error.rawPacket?.toString('latin1').split(/\r?\n/, 1)[0]?.split(' ')[1] ?? '';
  const answer = [...refusedRequests(app)].find(([basePath]) => target.startsWith(`${basePath}/`));
  const nodeStatus = error.code === undefined ? undefined : nodeAnswers[error.code];
  if (!answer || nodeStatus !== undefined) {
    const status = nodeStatus ?? 400;
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`;
    socket.end(head, () => socket.destroy());
    return;
  }
  const path = target.split('?')[0] ?? '';
  const failed = answer[1](unparsable, { method: 'GET', path, hasBody: false }, newRequestId());
  const body = Buffer.from(failed.body);
  const head =
    `HTTP/1.1 ${failed.status} ${STATUS_CODES[failed.status]}\r\n` +
    `Content-Type: ${failed.contentType}; charset=utf-8\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head), body]), () => socket.destroy());
}
