import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpenClawStandIn {
  url: string;
  close(): Promise<void>;
}

/**
 * A local OpenClaw identity service answering like the real one, for `npm start` (with the demo
 * agents) and for tests. Production points OPENCLAW_URL at OpenClaw instead.
 */
export async function startOpenClawStandIn(
  credentials: ReadonlyMap<string, string>,
): Promise<OpenClawStandIn> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let valid = false;
      try {
        const { agent_id, secret } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const known = credentials.get(String(agent_id));
        valid =
          known !== undefined &&
          known.length === String(secret).length &&
          timingSafeEqual(Buffer.from(known), Buffer.from(String(secret)));
      } catch {
        valid = false;
      }
      const found = request.method === 'POST' && request.url === '/v1/credentials/verify';
      response.writeHead(!found ? 404 : valid ? 200 : 401, { 'content-type': 'application/json' });
      response.end(JSON.stringify(found ? { valid } : { error: 'not found' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
