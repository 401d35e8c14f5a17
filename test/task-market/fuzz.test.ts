import { describe, expect, it } from 'vitest';
import { sign } from '../../src/task-market/auth.ts';
import { databaseLabel, testDatabases } from '../support/database.ts';
import { type DocumentOperation, loadDocument } from '../support/documents.ts';
import { type FuzzRequest, type Prepared, runFuzz } from '../support/fuzz.ts';
import { type Market, type Session, startMarket } from './harness.ts';

// The negative-input fuzz run against the task-market server: every operation, each request
// wrong in one way (or valid, on fresh state), every answer documented for its operation.
// FUZZ_SEED=<n> picks other cases; a failure prints the seed and the requests that reproduce it.

const document = loadDocument('task-market');

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

/** What the valid requests use: real agents, a real ledger entry, a task with a brief. */
interface Fixtures {
  market: Market;
  publisher: Session;
  reader: Session;
  executors: Pool<Session>;
  entryId: string;
  taskId: string;
  /** How many requests have been prepared. */
  prepared: number;
}

async function fixtures(market: Market): Promise<Fixtures> {
  const [publisher, reader, ...executors] = (await market.signInAll()) as [
    Session,
    Session,
    ...Session[],
  ];
  const ledger = await market.request('GET', '/points/ledger?limit=1', { session: publisher });
  const task = await market.publish(publisher, { bounty: 1 });
  await market.request('PUT', `/tasks/${task.id}/task.md`, {
    session: publisher,
    raw: '# Brief\n\nSummarise the three papers.',
    contentType: 'text/markdown',
  });
  const entryId: string = ledger.body.data.items[0].id;
  const pool = new Pool(executors);
  return { market, publisher, reader, executors: pool, entryId, taskId: task.id, prepared: 0 };
}

/** A task of bounty 1; a signature is good once, so no two publish the same request. */
function publishOne(f: Fixtures) {
  return f.market.publish(f.publisher, { bounty: 1, title: `Fuzz task ${++f.prepared}` });
}

/** The state each task action needs its task in, and who acts. */
const actions: Record<string, { status: string; by: 'executor' | 'publisher' }> = {
  claimTask: { status: 'open', by: 'executor' },
  submitTask: { status: 'claimed', by: 'executor' },
  acceptTask: { status: 'submitted', by: 'publisher' },
  rejectTask: { status: 'submitted', by: 'publisher' },
  cancelTask: { status: 'open', by: 'publisher' },
};

/** A fresh task, moved by a borrowed executor to `status`; settling it gives the executor back. */
async function freshTask(f: Fixtures, status: string) {
  const { market, publisher, executors } = f;
  const task = await publishOne(f);
  const executor = await executors.acquire();
  // A signature is good once: a second submission of a task (after a rejection) says more.
  const submit = (content: string) => market.act(executor, task.id, 'submit', { content });
  async function settle() {
    try {
      const reply = await market.request('GET', `/tasks/${task.id}`, { session: publisher });
      const current: string = reply.body.data.status;
      if (current === 'claimed') {
        await submit('## Result, revised');
      }
      if (current === 'claimed' || current === 'submitted') {
        await market.act(publisher, task.id, 'accept');
      }
      if (current === 'open') {
        // The market holds only so many open tasks per publisher.
        await market.act(publisher, task.id, 'cancel');
      }
    } finally {
      executors.release(executor);
    }
  }
  try {
    if (status !== 'open') {
      await market.act(executor, task.id, 'claim');
    }
    if (status === 'submitted') {
      await submit('## Result');
    }
  } catch (error) {
    await settle();
    throw error;
  }
  return { id: task.id, executor, settle };
}

/** A request the operation accepts, sent by whoever may send it, on fresh state where needed. */
async function prepare(f: Fixtures, operation: DocumentOperation): Promise<Prepared> {
  const { operationId } = operation;
  const base = document.validRequest(operationId);
  const path = { ...base.params.path };
  const request = { ...base, headers: {}, params: { path, query: { ...base.params.query } } };
  const now = () => Math.floor(f.market.clock.now().getTime() / 1000);
  const ids: Record<string, Record<string, string>> = {
    getAgent: { agentId: f.reader.agent.id },
    getLedgerEntry: { entryId: f.entryId },
    getTask: { taskId: f.taskId },
    downloadTaskBrief: { taskId: f.taskId },
    uploadTaskBrief: { taskId: f.taskId },
  };
  Object.assign(path, ids[operationId]);
  if (operationId === 'signIn') {
    request.body = { agent_id: f.publisher.agent.id, secret: f.publisher.agent.secret };
    return { request };
  }
  // A signature is good once: every valid write differs from the others (a title, a brief).
  const nth = ++f.prepared;
  if (operationId === 'publishTask') {
    const deadline = new Date((now() + 86_400) * 1000).toISOString();
    request.body = { ...(request.body as object), title: `Task ${nth}`, bounty: 1, deadline };
  }
  if (operationId === 'uploadTaskBrief') {
    request.body = `# Brief ${nth}\n\nSummarise the three papers.`;
  }
  const action = actions[operationId];
  if (!action) {
    return { request, authorize: authorizer(operation, f.publisher, now) };
  }
  const task = await freshTask(f, action.status);
  path.taskId = task.id;
  const session = action.by === 'executor' ? task.executor : f.publisher;
  return { request, authorize: authorizer(operation, session, now), release: task.settle };
}

/** Bearer token, and the signature every write carries, as a client sends them. */
function authorizer(operation: DocumentOperation, session: Session, now: () => number) {
  return (request: FuzzRequest, variant?: string): FuzzRequest => {
    const headers = { ...request.headers, authorization: `Bearer ${session.token}` };
    if (operation.security.includes('requestSignature')) {
      Object.assign(headers, signatureHeaders(session.signingKey, request, now(), variant));
    }
    return { ...request, headers };
  };
}

/** What a variant signs differently; `timestamp: null` sends no X-Timestamp, signed as usual. */
interface Change {
  timestamp?: string | null;
  key?: string;
  body?: string;
  path?: string;
}

/** Ways of getting the signature wrong, each re-signed over its one change; a `#` is a number
 * each case draws. */
const signatureVariants: Record<string, (now: number, n: number) => Change> = {
  'no X-Timestamp': () => ({ timestamp: null }),
  'X-Timestamp 0x#': (_, n) => ({ timestamp: `0x${n}` }),
  'X-Timestamp #e3': (_, n) => ({ timestamp: `${n}e3` }),
  'X-Timestamp now in hex': (now) => ({ timestamp: `0x${now.toString(16)}` }),
  'X-Timestamp now in exponent notation': (now) => ({ timestamp: now.toExponential() }),
  'X-Timestamp now.#': (now, n) => ({ timestamp: `${now}.${n}` }),
  'X-Timestamp 301+# s behind': (now, n) => ({ timestamp: String(now - 301 - n) }),
  'X-Timestamp 301+# s ahead': (now, n) => ({ timestamp: String(now + 301 + n) }),
  'signed over another body #': (_, n) => ({ body: `another body ${n}` }),
  'signed over path /task-market/#': (_, n) => ({ path: `/task-market/${n}` }),
  'signed with key #, not the agent’s': (_, n) => ({ key: n.toString(16).padStart(64, 'f') }),
};

/** The change of a variant as a case names it, its `#` a number. */
function variantChange(name: string, now: number): Change {
  for (const [template, change] of Object.entries(signatureVariants)) {
    const pattern = template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('#', '(\\d+)');
    const match = new RegExp(`^${pattern}$`).exec(name);
    if (match) {
      return change(now, Number(match[1] ?? 0));
    }
  }
  throw new Error(`no signature variant ${name}`);
}

function signatureHeaders(
  key: string,
  request: FuzzRequest,
  now: number,
  variant?: string,
): Record<string, string> {
  const change = variant === undefined ? {} : variantChange(variant, now);
  const timestamp = change.timestamp ?? String(now);
  const { headers } = request;
  const signature = sign(change.key ?? key, {
    method: request.method,
    path: change.path ?? request.path,
    timestamp,
    contentType: headers['content-type'] ?? '',
    contentEncoding: headers['content-encoding'] ?? '',
    idempotencyKey: headers['idempotency-key'] ?? '',
    body: change.body ?? request.body ?? '',
  });
  return change.timestamp === null
    ? { 'x-signature': signature }
    : { 'x-timestamp': timestamp, 'x-signature': signature };
}

describe('the signature variants', () => {
  const request = {
    method: 'POST',
    path: '/task-market/tasks',
    headers: {},
    body: Buffer.from('{}'),
  };
  const key = 'a'.repeat(64);
  const now = 1_800_000_000;
  const right = signatureHeaders(key, request, now);

  it.each(Object.keys(signatureVariants))('%s changes one thing', (template) => {
    const wrong = signatureHeaders(key, request, now, template.replace('#', '7'));
    const changed = ['x-timestamp', 'x-signature'].filter((name) => wrong[name] !== right[name]);
    if (changed.length === 2 && wrong['x-timestamp'] !== undefined) {
      // A new timestamp, signed: one change.
      const timestamp = wrong['x-timestamp'];
      const unsigned = { contentType: '', contentEncoding: '', idempotencyKey: '' };
      expect(wrong['x-signature']).toBe(sign(key, { ...request, ...unsigned, timestamp }));
    } else {
      expect(changed).toHaveLength(1);
    }
  });
});

/** The fuzz run on each database, named `task-market`, `task-market on PostgreSQL`. */
const runs = testDatabases.map(
  (database) =>
    [
      database === 'sqlite' ? 'task-market' : `task-market on ${databaseLabel[database]}`,
      database,
    ] as const,
);

it.each(runs)(
  '%s fuzz: every answer is documented for its operation',
  async (label, database) => {
    const market = await startMarket({
      config: {
        rateLimit: { limit: 1_000_000, windowSeconds: 60 },
        clientRateLimit: { limit: 1_000_000, windowSeconds: 60 },
        dailyQuota: 10_000_000,
      },
      agents: 14,
      points: 1_000_000,
      database,
    });
    try {
      const f = await fixtures(market);
      const result = await runFuzz({
        label,
        service: 'task-market',
        origin: market.origin,
        prepare: (operation) => prepare(f, operation),
        variants: { scheme: 'requestSignature', names: Object.keys(signatureVariants) },
      });
      expect(result.distinct).toBeGreaterThanOrEqual(2000);
      expect(result.undocumented, result.report).toBe(0);
    } finally {
      await market.close();
    }
  },
  120_000,
);
