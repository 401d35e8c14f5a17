import { expect, it } from 'vitest';
import { sign } from '../../src/task-market/auth.ts';
import { loadDocument } from '../support/documents.ts';
import {
  type CredentialVariant,
  type FuzzOperation,
  type FuzzRequest,
  fuzzSeed,
  type Prepared,
  runFuzz,
} from '../support/fuzz.ts';
import { type Market, type Session, startMarket } from './harness.ts';

// The negative-input fuzz run against the task-market server: every operation, each request
// wrong in one way (or valid, on fresh state), every answer documented for its operation.
// FUZZ_SEED=<n> picks other cases; a failure prints the seed and the requests that reproduce it.

const document = loadDocument('task-market');
const seed = fuzzSeed();

interface Context {
  session?: Session;
}

/** Executors a case can borrow: an agent may hold one active task at a time. */
class Pool<T> {
  #free: T[];
  #waiting: ((item: T) => void)[] = [];

  constructor(items: T[]) {
    this.#free = [...items];
  }

  acquire(): Promise<T> {
    const item = this.#free.pop();
    return item === undefined
      ? new Promise((resolve) => this.#waiting.push(resolve))
      : Promise.resolve(item);
  }

  release(item: T) {
    const waiting = this.#waiting.shift();
    if (waiting) {
      waiting(item);
    } else {
      this.#free.push(item);
    }
  }
}

/** The valid requests: real agents, a real ledger entry, fresh tasks in the state each needs. */
async function taskMarketTarget(market: Market) {
  const [publisher, reader, ...executors] = (await market.signInAll()) as [
    Session,
    Session,
    ...Session[],
  ];
  const pool = new Pool(executors);
  const ledger = await market.request('GET', '/points/ledger?limit=1', { session: publisher });
  const entryId: string = ledger.body.data.items[0].id;
  const shared = await market.publish(publisher, { bounty: 1 });
  await market.request('PUT', `/tasks/${shared.id}/task.md`, {
    session: publisher,
    raw: '# Brief\n\nSummarise the three papers.',
    contentType: 'text/markdown',
  });

  /** A fresh task, moved by a borrowed executor to `status`; settling it frees the executor. */
  async function freshTask(status: 'open' | 'claimed' | 'submitted') {
    const task = await market.publish(publisher, { bounty: 1 });
    const executor = await pool.acquire();
    if (status !== 'open') {
      await market.act(executor, task.id, 'claim');
    }
    if (status === 'submitted') {
      await market.act(executor, task.id, 'submit', { content: '## Result' });
    }
    return {
      id: task.id,
      executor,
      /** Accepts the task when the case left it active, then gives the executor back. */
      async settle() {
        const reply = await market.request('GET', `/tasks/${task.id}`, { session: publisher });
        const current: string = reply.body.data.status;
        if (current === 'claimed') {
          await market.act(executor, task.id, 'submit', { content: '## Result' });
        }
        if (current === 'claimed' || current === 'submitted') {
          await market.act(publisher, task.id, 'accept');
        }
        pool.release(executor);
      },
    };
  }

  async function prepare(operation: FuzzOperation): Promise<Prepared<Context>> {
    const base = document.validRequest(operation.operationId);
    const request = {
      ...base,
      headers: {},
      params: { path: { ...base.params.path }, query: { ...base.params.query } },
    };
    const path = request.params.path;
    switch (operation.operationId) {
      case 'signIn': {
        const agent = publisher.agent;
        request.body = { agent_id: agent.id, secret: agent.secret };
        return { request };
      }
      case 'getAgent':
        path.agentId = reader.agent.id;
        break;
      case 'getLedgerEntry':
        path.entryId = entryId;
        break;
      case 'getTask':
      case 'downloadTaskBrief':
      case 'uploadTaskBrief':
        path.taskId = shared.id;
        break;
      case 'publishTask':
        request.body = {
          ...(request.body as object),
          bounty: 1,
          deadline: new Date(market.clock.now().getTime() + 86_400_000).toISOString(),
        };
        break;
      case 'cancelTask': {
        path.taskId = (await market.publish(publisher, { bounty: 1 })).id;
        break;
      }
      case 'claimTask':
      case 'submitTask':
      case 'acceptTask':
      case 'rejectTask': {
        const needs = {
          claimTask: 'open',
          submitTask: 'claimed',
          acceptTask: 'submitted',
          rejectTask: 'submitted',
        } as const;
        const task = await freshTask(needs[operation.operationId]);
        path.taskId = task.id;
        const session = ['claimTask', 'submitTask'].includes(operation.operationId)
          ? task.executor
          : publisher;
        return { request, context: { session }, release: task.settle };
      }
    }
    return { request, context: { session: publisher } };
  }

  const timestamp = () => Math.floor(market.clock.now().getTime() / 1000);

  /** Bearer token, and the signature every write needs, as a client sends them. */
  function authorize(request: FuzzRequest, prepared: Prepared<Context>, operation: FuzzOperation) {
    const session = prepared.context?.session;
    if (!session) {
      return request;
    }
    const headers = { ...request.headers, authorization: `Bearer ${session.token}` };
    if (operation.security[0]?.includes('requestSignature')) {
      Object.assign(headers, signatureHeaders(request, session.signingKey, {}));
    }
    return { ...request, headers };
  }

  interface Override {
    timestamp?: string;
    method?: string;
    path?: string;
    body?: Buffer | string;
  }

  function signatureHeaders(request: FuzzRequest, key: string, override: Override) {
    const stamp = override.timestamp ?? String(timestamp());
    return {
      'x-timestamp': stamp,
      'x-signature': sign(key, {
        method: override.method ?? request.method,
        path: override.path ?? request.path,
        timestamp: stamp,
        body: override.body ?? request.body ?? '',
      }),
    };
  }

  /** A variant signed correctly over what it changes, so that one thing is wrong. */
  const resigned = (
    name: string,
    override: (request: FuzzRequest) => Override & { key?: string },
  ): CredentialVariant<Context> => ({
    name,
    scheme: 'requestSignature',
    apply(request, prepared) {
      const session = prepared.context?.session as Session;
      const { key, ...rest } = override(request);
      const headers = {
        ...request.headers,
        ...signatureHeaders(request, key ?? session.signingKey, rest),
      };
      return { ...request, headers };
    },
  });
  const edited = (
    name: string,
    edit: (headers: Record<string, string>) => void,
  ): CredentialVariant<Context> => ({
    name,
    scheme: 'requestSignature',
    apply(request) {
      const headers = { ...request.headers };
      edit(headers);
      return { ...request, headers };
    },
  });
  const variants: CredentialVariant<Context>[] = [
    resigned('X-Timestamp 0x10, signed', () => ({ timestamp: '0x10' })),
    resigned('X-Timestamp 1e3, signed', () => ({ timestamp: '1e3' })),
    resigned('X-Timestamp abc, signed', () => ({ timestamp: 'abc' })),
    resigned('X-Timestamp -1, signed', () => ({ timestamp: '-1' })),
    resigned('X-Timestamp 301 s ahead, signed', () => ({ timestamp: String(timestamp() + 301) })),
    resigned('X-Timestamp 301 s behind, signed', () => ({ timestamp: String(timestamp() - 301) })),
    resigned('X-Timestamp in milliseconds, signed', () => ({
      timestamp: String(timestamp() * 1000),
    })),
    resigned('X-Timestamp now in hex, signed', () => ({
      timestamp: `0x${timestamp().toString(16)}`,
    })),
    resigned('X-Timestamp now with a fraction, signed', () => ({ timestamp: `${timestamp()}.5` })),
    resigned('X-Timestamp now in exponent notation, signed', () => ({
      timestamp: timestamp().toExponential(),
    })),
    resigned('signature over another body', (request) => ({
      body: Buffer.concat([request.body ?? Buffer.alloc(0), Buffer.from(' ')]),
    })),
    resigned('signature over the path without the base path', (request) => ({
      path: request.path.replace(/^\/task-market/, ''),
    })),
    resigned('signature over another method', (request) => ({
      method: request.method === 'POST' ? 'PUT' : 'POST',
    })),
    resigned("signature with another agent's key", () => ({ key: reader.signingKey })),
    edited('no X-Timestamp', (headers) => {
      delete headers['x-timestamp'];
    }),
    edited('signature in upper case', (headers) => {
      headers['x-signature'] = String(headers['x-signature']).toUpperCase();
    }),
    edited('signature cut short', (headers) => {
      headers['x-signature'] = String(headers['x-signature']).slice(0, -1);
    }),
  ];

  return { prepare, authorize, variants };
}

it('answers every fuzzed request as its operation documents', async () => {
  const market = await startMarket({
    config: { rateLimit: { limit: 1_000_000, windowSeconds: 60 }, dailyQuota: 10_000_000 },
    agents: 14,
    points: 1_000_000,
  });
  try {
    const target = await taskMarketTarget(market);
    const result = await runFuzz(
      { service: 'task-market', origin: market.origin, ...target },
      { seed, rerun: `FUZZ_SEED=${seed} npx vitest run test/task-market/fuzz.test.ts` },
    );
    process.stdout.write(`\n${result.line}\n`);
    expect(result.requests).toBeGreaterThanOrEqual(2000);
    // The summary lists the run's own errors too, then every undocumented answer, grouped.
    expect(
      { errors: result.errors.length, undocumented: result.undocumented.length },
      result.summary(),
    ).toEqual({ errors: 0, undocumented: 0 });
  } finally {
    await market.close();
  }
}, 120_000);
