import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in behaves: as a provider should, or as one that is down, slow or throttling. */
export type AuthProviderMode = 'ok' | 'failing' | 'slow' | 'throttling';

export interface AuthProviderStandIn {
  url: string;
  /** The last code texted to each phone. */
  codes: Map<string, string>;
  setMode(mode: AuthProviderMode): void;
  /** Disables a phone's identity, as an operator of the provider would (its sign-ins and refreshes end). */
  block(phone: string): void;
  close(): Promise<void>;
}

interface Code {
  code: string;
  expiresAt: number;
  attempts: number;
}

const codeTtlMs = 5 * 60_000;
const maxAttempts = 5;

/**
 * A local auth provider for `npm start` and tests: it "texts" each code to `onCode` (npm start
 * prints it) and checks codes as the real one does: five minutes, used once, five attempts, then
 * 429. Production sets AUTH_PROVIDER_URL.
 */
export async function startAuthProviderStandIn(
  onCode: (phone: string, code: string) => void = () => {},
): Promise<AuthProviderStandIn> {
  let mode: AuthProviderMode = 'ok';
  const live = new Map<string, Code>();
  const codes = new Map<string, string>();
  const blocked = new Set<string>();

  function answer(request: IncomingMessage, body: Record<string, unknown>) {
    const phone = String(body.phone ?? '');
    if (request.method === 'POST' && request.url === '/v1/otp') {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      live.set(phone, { code, expiresAt: Date.now() + codeTtlMs, attempts: 0 });
      codes.set(phone, code);
      onCode(phone, code);
      return { status: 200, json: { status: 'sent' } };
    }
    if (request.method === 'POST' && request.url === '/v1/otp/verify') {
      const current = live.get(phone);
      if (!current || current.expiresAt <= Date.now() || blocked.has(phone)) {
        return { status: 200, json: { verified: false } };
      }
      if (current.attempts >= maxAttempts) {
        return { status: 429, headers: { 'retry-after': '60' } };
      }
      if (current.code !== String(body.code)) {
        current.attempts += 1;
        return { status: 200, json: { verified: false } };
      }
      live.delete(phone);
      return { status: 200, json: { verified: true } };
    }
    const identity = /^\/v1\/identities\/([^/]+)$/.exec(request.url ?? '')?.[1];
    if (request.method === 'GET' && identity !== undefined) {
      return { status: 200, json: { active: !blocked.has(decodeURIComponent(identity)) } };
    }
    return { status: 404 };
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (mode === 'slow') {
        return; // never answers: the caller's timeout decides
      }
      if (mode === 'failing' || mode === 'throttling') {
        const status = mode === 'failing' ? 503 : 429;
        response.writeHead(status, mode === 'throttling' ? { 'retry-after': '30' } : {}).end();
        return;
      }
      let body: Record<string, unknown> = {};
      try {
        body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        response.writeHead(400).end();
        return;
      }
      const { status, json, headers } = answer(request, body) as {
        status: number;
        json?: unknown;
        headers?: Record<string, string>;
      };
      response.writeHead(status, {
        ...headers,
        ...(json !== undefined && { 'content-type': 'application/json' }),
      });
      response.end(json === undefined ? undefined : JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    codes,
    setMode(next) {
      mode = next;
    },
    block(phone) {
      blocked.add(phone);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
