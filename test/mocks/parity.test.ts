import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useMock } from '../support/mock.ts';
import { type Market, type Session, startMarket } from '../task-market/harness.ts';

// The mock and the task-market server answer the same bad requests alike: status, code and
// details, path edge cases included. Each request goes out byte for byte as written (fetch would
// normalise `..`), with the server's credentials or the mock's.

const mockOrigin = useMock();
let market: Market;
let session: Session;

beforeAll(async () => {
  market = await startMarket();
  [session] = (await market.signInAll()) as [Session];
});
afterAll(() => market.close());

interface Sent {
  status: number;
  body: unknown;
}

/** Sends a request as written; the answer without what differs per request (its id). */
function send(
  origin: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
) {
  const { hostname, port } = new URL(origin);
  return new Promise<Sent>((resolve, reject) => {
    const outgoing = http.request({ host: hostname, port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const { request_id: _id, ...rest } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve({ status: response.statusCode ?? 0, body: rest });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const task = '/task-market/tasks/660e8400-e29b-41d4-a716-446655440002';
const json = { 'content-type': 'application/json' };

const cases: {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  anonymous?: boolean;
}[] = [
  { name: 'a trailing slash', method: 'GET', path: '/task-market/tasks/' },
  { name: 'a `..` segment', method: 'GET', path: '/task-market/tasks/../agents/me' },
  { name: 'a `..` that climbs out of the service', method: 'GET', path: '/task-market/../docs' },
  { name: 'a malformed percent-escape', method: 'GET', path: '/task-market/tasks/%zz' },
  { name: 'an id that is not a UUID', method: 'GET', path: '/task-market/tasks/42' },
  { name: 'a method the path does not have', method: 'DELETE', path: task },
  { name: 'an unknown query parameter', method: 'GET', path: '/task-market/tasks?sort=asc' },
  { name: 'a limit that is no number', method: 'GET', path: '/task-market/tasks?limit=ten' },
  { name: 'no credentials', method: 'GET', path: task, anonymous: true },
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/task-market/tasks',
    headers: json,
    body: '{"title":',
  },
  {
    name: 'a non-ASCII property name',
    method: 'POST',
    path: '/task-market/tasks',
    headers: json,
    body: '{"备注":"x"}',
  },
  {
    name: 'a body of another media type',
    method: 'PUT',
    path: `${task}/task.md`,
    headers: json,
    body: '{"brief":"x"}',
  },
  {
    name: 'a multipart part without a Content-Type',
    method: 'POST',
    path: '/task-market/tasks',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
    body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nx\r\n--b--\r\n',
  },
];

describe('the task-market mock and server', () => {
  it.each(cases)('answer $name alike', async ({ method, path, headers = {}, body, anonymous }) => {
    const credentials = (token: string): Record<string, string> =>
      anonymous ? {} : { authorization: `Bearer ${token}` };
    const [server, mock] = await Promise.all([
      send(market.origin, method, path, { ...headers, ...credentials(session.token) }, body),
      send(mockOrigin(), method, path, { ...headers, ...credentials('mock-credentials') }, body),
    ]);
    expect(mock).toEqual(server);
    expect(server.status).toBeGreaterThanOrEqual(400);
    expect(server.status).toBeLessThan(500);
  });
});
