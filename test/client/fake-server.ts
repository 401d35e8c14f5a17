import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer of a fake server: a status and a JSON body, with headers of its own. */
export interface FakeAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A request as the fake server received it. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A fake server on 127.0.0.1 (port 0), its origin, what it received, and how to stop it. */
export interface FakeServer {
  origin: string;
  received: Received[];
  close(): Promise<void>;
}

/**
 * A server that answers each request with the next of `answers`, the last one again once they
 * run out, keeping every request it received: a client's retries, seen from the other side.
 */
export async function fakeServer(answers: FakeAnswer[]): Promise<FakeServer> {
  const received: Received[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) {
      chunks.push(chunk as Buffer);
    }
    received.push({
      method: request.method ?? '',
      path: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    const answer = answers[Math.min(received.length, answers.length) - 1] as FakeAnswer;
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
