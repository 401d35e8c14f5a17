import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

/**
 * The agents' credentials as the OpenClaw stand-in knows them: it checks each sign-in against
 * them, and an operator registers more (`npm run task-market:agent -- add`). Secrets are kept as
 * SHA-256 hashes.
 */
export interface CredentialStore {
  verify(agentId: string, secret: string): Promise<boolean>;
  /** Adds an agent, or replaces its secret. */
  register(agentId: string, secret: string): Promise<void>;
}

type Hashes = Record<string, string>;

const hash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

function matches(hashes: Hashes, agentId: string, secret: string): boolean {
  const known = Object.hasOwn(hashes, agentId) ? hashes[agentId] : undefined;
  return (
    typeof known === 'string' &&
    known.length === 64 &&
    timingSafeEqual(Buffer.from(known, 'hex'), Buffer.from(hash(secret), 'hex'))
  );
}

/** Credentials held in memory, for tests: `memoryCredentials([[agentId, secret], …])`. */
export function memoryCredentials(
  credentials: Iterable<readonly [string, string]> = [],
): CredentialStore {
  const hashes: Hashes = {};
  for (const [agentId, secret] of credentials) {
    hashes[agentId] = hash(secret);
  }
  return {
    verify: async (agentId, secret) => matches(hashes, agentId, secret),
    async register(agentId, secret) {
      hashes[agentId] = hash(secret);
    },
  };
}

/**
 * Credentials kept in a JSON file (`{"<agent id>": "<sha-256 of its secret>"}`), read again on
 * every check, so an agent another process registers signs in at once, without a restart.
 */
export function fileCredentials(file: string): CredentialStore {
  const load = (): Hashes => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Hashes;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return {};
      }
      throw error;
    }
  };
  return {
    verify: async (agentId, secret) => matches(load(), agentId, secret),
    async register(agentId, secret) {
      const hashes = { ...load(), [agentId]: hash(secret) };
      mkdirSync(dirname(file), { recursive: true });
      // Written aside and renamed over: a check never reads half a file.
      const aside = `${file}.${process.pid}.tmp`;
      writeFileSync(aside, `${JSON.stringify(hashes, null, 2)}\n`, { mode: 0o600 });
      renameSync(aside, file);
    },
  };
}

function isStore(
  credentials: CredentialStore | ReadonlyMap<string, string>,
): credentials is CredentialStore {
  return 'register' in credentials;
}

export interface OpenClawStandIn {
  url: string;
  credentials: CredentialStore;
  close(): Promise<void>;
}

/**
 * A local OpenClaw identity service answering like the real one, for `npm start` (with the demo
 * agents and those an operator adds) and for tests. Production points OPENCLAW_URL at OpenClaw.
 */
export async function startOpenClawStandIn(
  credentials: CredentialStore | ReadonlyMap<string, string>,
): Promise<OpenClawStandIn> {
  const store = isStore(credentials) ? credentials : memoryCredentials(credentials);
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (request.method !== 'POST' || request.url !== '/v1/credentials/verify') {
        return answer(404, { error: 'not found' });
      }
      let claim: { agent_id?: unknown; secret?: unknown };
      try {
        claim = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(401, { valid: false });
      }
      try {
        const valid = await store.verify(String(claim?.agent_id), String(claim?.secret));
        answer(valid ? 200 : 401, { valid });
      } catch {
        // Its credentials cannot be read (a damaged file): a failure, as OpenClaw's would be.
        answer(500, { error: 'credentials unavailable' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    credentials: store,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
