import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { catalog } from '../../generated/task-market/errors.ts';
import { taskMarketConfig } from '../../src/task-market/config.ts';
import { databaseLabel, type TestDatabase, testDatabases } from '../support/database.ts';
import { loadDocument, type Pair } from '../support/documents.ts';
import {
  type Market,
  type MarketOptions,
  type Reply,
  type RequestOptions,
  type Session,
  startMarket,
} from './harness.ts';

// The contract matrix: every (operation, code) pair of the task-market document, reached on the
// real server through a real condition — bad input, missing credentials, an absent resource, a
// state conflict, a limit, a locked account, a broken database, storage or OpenClaw.

const document = loadDocument('task-market');

/** A request of one operation, and who sends it. */
interface Call extends RequestOptions {
  method: string;
  path: string;
}

/** The world an operation's request is made in: three agents, the first two signed in. */
interface World {
  market: Market;
  a: Session;
  b: Session;
  c: Session;
}

async function world(options: MarketOptions = {}): Promise<World> {
  const market = await startMarket(options);
  const [a, b, c] = await market.signInAll();
  return { market, a: a as Session, b: b as Session, c: c as Session };
}

const markdown = '# Brief\n\nSummarise the three papers.';

/** A request each operation succeeds with: A publishes, B executes, C looks on. */
const valid: Record<string, (w: World) => Promise<Call>> = {
  signIn: async ({ market }) => {
    const agent = market.agents[0];
    return {
      method: 'POST',
      path: '/auth/token',
      body: { agent_id: agent?.id, secret: agent?.secret },
    };
  },
  getCurrentAgent: async ({ a }) => ({ method: 'GET', path: '/agents/me', session: a }),
  getAgent: async ({ a, b }) => ({ method: 'GET', path: `/agents/${b.agent.id}`, session: a }),
  getPointsBalance: async ({ a }) => ({ method: 'GET', path: '/points', session: a }),
  listLedgerEntries: async ({ a }) => ({ method: 'GET', path: '/points/ledger', session: a }),
  getLedgerEntry: async ({ market, a }) => {
    const entry = await market.db
      .selectFrom('ledger_entries')
      .select('id')
      .where('agent_id', '=', a.agent.id)
      .executeTakeFirstOrThrow();
    return { method: 'GET', path: `/points/ledger/${entry.id}`, session: a };
  },
  listTasks: async ({ a }) => ({ method: 'GET', path: '/tasks', session: a }),
  publishTask: async ({ market, a }) => ({
    method: 'POST',
    path: '/tasks',
    session: a,
    body: { title: 'Summarise', bounty: 50, deadline: inADay(market) },
  }),
  getTask: async ({ market, a }) => ({
    method: 'GET',
    path: `/tasks/${(await market.publish(a)).id}`,
    session: a,
  }),
  downloadTaskBrief: async ({ market, a, b }) => {
    const task = await market.publish(a);
    await market.request('PUT', `/tasks/${task.id}/task.md`, {
      session: a,
      raw: markdown,
      contentType: 'text/markdown',
    });
    return { method: 'GET', path: `/tasks/${task.id}/task.md`, session: b };
  },
  uploadTaskBrief: async ({ market, a }) => ({
    method: 'PUT',
    path: `/tasks/${(await market.publish(a)).id}/task.md`,
    session: a,
    raw: markdown,
    contentType: 'text/markdown',
  }),
  claimTask: async ({ market, a, b }) => ({
    method: 'POST',
    path: `/tasks/${(await market.publish(a)).id}/claim`,
    session: b,
  }),
  submitTask: async ({ market, a, b }) => {
    const task = await market.publish(a);
    await market.act(b, task.id, 'claim');
    return {
      method: 'POST',
      path: `/tasks/${task.id}/submit`,
      session: b,
      body: { content: 'Done.' },
    };
  },
  acceptTask: async ({ market, a, b }) => ({
    method: 'POST',
    path: `/tasks/${(await submitted(market, a, b)).id}/accept`,
    session: a,
  }),
  rejectTask: async ({ market, a, b }) => ({
    method: 'POST',
    path: `/tasks/${(await submitted(market, a, b)).id}/reject`,
    session: a,
    body: { reason: 'Needs sources.' },
  }),
  cancelTask: async ({ market, a }) => ({
    method: 'POST',
    path: `/tasks/${(await market.publish(a)).id}/cancel`,
    session: a,
  }),
};

function inADay(market: Market) {
  return new Date(market.clock.now().getTime() + 86_400_000).toISOString();
}

async function submitted(market: Market, a: Session, b: Session) {
  const task = await market.publish(a);
  await market.act(b, task.id, 'claim');
  await market.act(b, task.id, 'submit', { content: 'Done.' });
  return task;
}

const taskPath = (call: Call, taskId: string) =>
  call.path.replace(/\/tasks\/[^/]+/, `/tasks/${taskId}`);
const send = (market: Market, call: Call) => market.request(call.method, call.path, call);

/** The first answer of a repeated request that carries `status`, or the last one. */
async function repeatUntil(market: Market, call: Call, status: number): Promise<Reply> {
  let reply: Reply | undefined;
  for (let attempt = 0; attempt < 30 && reply?.status !== status; attempt += 1) {
    reply = await send(market, call);
  }
  return reply as Reply;
}

type Scenario = (pair: Pair, database: TestDatabase) => Promise<{ market: Market; reply: Reply }>;

/** Makes a world, prepares the operation's valid request, changes something, sends it. */
function scenario(
  change: (call: Call, w: World, pair: Pair) => Promise<Call | Reply> | Call | Reply,
  options?: MarketOptions,
): Scenario {
  return async (pair, database) => {
    const w = await world({ ...options, database });
    const call = await (valid[pair.operationId] as (w: World) => Promise<Call>)(w);
    const changed = await change(call, w, pair);
    const reply = 'status' in changed ? changed : await send(w.market, changed);
    return { market: w.market, reply };
  };
}

/** A scenario that depends on the operation. */
function byOperation(scenarios: Record<string, Scenario>): Scenario {
  return (pair, database) => {
    const run = scenarios[pair.operationId];
    if (!run) {
      throw new Error(`no scenario reaches ${pair.code} on ${pair.operationId}`);
    }
    return run(pair, database);
  };
}

/**
 * A fresh world where A publishes a task (due in two minutes), `steps` move it, and then
 * `action` is sent.
 */
const lifecycle =
  (
    steps: (w: World, taskId: string) => Promise<unknown>,
    action: (w: World, taskId: string) => Call,
  ): Scenario =>
  async (_pair, database) => {
    const w = await world({ database });
    const deadline = new Date(w.market.clock.now().getTime() + 120_000).toISOString();
    const task = await w.market.publish(w.a, { deadline });
    await steps(w, task.id);
    return { market: w.market, reply: await send(w.market, action(w, task.id)) };
  };

const post = (session: Session, taskId: string, action: string, body?: unknown): Call => ({
  method: 'POST',
  path: `/tasks/${taskId}/${action}`,
  session,
  body,
});

const scenarios: Record<string, Scenario> = {
  INVALID_PARAMETER: scenario((call) => ({ ...call, path: `${call.path}?unexpected=1` })),
  INVALID_FORMAT: byOperation({
    signIn: scenario((call) => ({
      ...call,
      body: { ...(call.body as object), agent_id: 'agent-7' },
    })),
    publishTask: scenario((call) => ({
      ...call,
      body: { ...(call.body as object), bounty: 'fifty' },
    })),
    listTasks: scenario((call) => ({ ...call, path: `${call.path}?publisher_id=agent-7` })),
    listLedgerEntries: scenario((call) => ({ ...call, path: `${call.path}?task_id=task-7` })),
    getAgent: scenario((call) => ({ ...call, path: '/agents/agent-7' })),
    getLedgerEntry: scenario((call) => ({ ...call, path: '/points/ledger/entry-7' })),
    ...Object.fromEntries(
      [
        'getTask',
        'downloadTaskBrief',
        'uploadTaskBrief',
        'claimTask',
        'submitTask',
        'acceptTask',
        'rejectTask',
        'cancelTask',
      ].map((operationId) => [
        operationId,
        scenario((call) => ({ ...call, path: taskPath(call, 'task-7') })),
      ]),
    ),
  }),
  INVALID_VALUE: byOperation({
    signIn: scenario((call) => ({ ...call, body: { ...(call.body as object), secret: 'short' } })),
    publishTask: scenario((call) => ({ ...call, body: { ...(call.body as object), bounty: 0 } })),
    listTasks: scenario((call) => ({ ...call, path: `${call.path}?limit=500` })),
    listLedgerEntries: scenario((call) => ({ ...call, path: `${call.path}?type=gift` })),
    submitTask: scenario((call) => ({ ...call, body: { content: '' } })),
    rejectTask: scenario((call) => ({ ...call, body: { reason: '' } })),
    uploadTaskBrief: scenario((call) => ({ ...call, raw: 'x'.repeat(262_145) })),
  }),
  MISSING_PARAMETER: byOperation({
    signIn: scenario((call) => ({
      ...call,
      body: { agent_id: (call.body as { agent_id: string }).agent_id },
    })),
    publishTask: scenario((call) => ({ ...call, body: { title: 'Summarise' } })),
    submitTask: scenario((call) => ({ ...call, body: {} })),
    rejectTask: scenario((call) => ({ ...call, body: {} })),
    uploadTaskBrief: scenario((call) => ({ ...call, raw: '' })),
  }),
  INVALID_JSON: scenario((call) => ({ ...call, body: undefined, raw: '{"title": ' })),
  AUTH_REQUIRED: scenario((call) => ({ ...call, session: undefined })),
  TOKEN_INVALID: scenario((call) => ({
    ...call,
    headers: { authorization: 'Bearer not.a.token' },
  })),
  TOKEN_EXPIRED: scenario((call, w) => {
    w.market.clock.advance(3601);
    return call;
  }),
  ACCOUNT_DISABLED: scenario(async (call, w) => {
    await w.market.operators.setAgentStatus(call.session?.agent.id ?? w.a.agent.id, 'disabled');
    return call;
  }),
  SIGNATURE_INVALID: scenario((call) => ({ ...call, signed: false })),
  RATE_LIMITED: scenario((call, w) => repeatUntil(w.market, call, 429), {
    config: { rateLimit: { limit: 8, windowSeconds: 60 } },
  }),
  QUOTA_EXCEEDED: scenario((call, w) => repeatUntil(w.market, call, 429), {
    config: { dailyQuota: 8 },
  }),
  INTERNAL_ERROR: scenario(async (call, w) => {
    // A damaged schema: the table every request reads is gone.
    await sql`alter table agents rename to agents_damaged`.execute(w.market.db);
    return call;
  }),
  DATABASE_UNAVAILABLE: scenario(async (call, w) => {
    await w.market.db.destroy();
    return call;
  }),
  SERVICE_UNAVAILABLE: scenario((call, w) => {
    w.market.lifecycle.beginShutdown();
    return call;
  }),
  UPSTREAM_ERROR: scenario(async (call, w) => {
    await w.market.stopOpenClaw();
    return call;
  }),
  STORAGE_ERROR: byOperation({
    uploadTaskBrief: scenario((call, w) => {
      writeFileSync(w.market.briefsDirectory, 'not a directory');
      return call;
    }),
    downloadTaskBrief: scenario((call, w) => {
      rmSync(w.market.briefsDirectory, { recursive: true });
      return call;
    }),
  }),
  OPENCLAW_AUTH_FAILED: scenario((call) => ({
    ...call,
    body: { ...(call.body as object), secret: 'secret-that-openclaw-does-not-know' },
  })),
  AGENT_NOT_FOUND: byOperation({
    signIn: scenario((call, w) => ({
      ...call,
      body: { agent_id: w.market.outsider.id, secret: w.market.outsider.secret },
    })),
    getAgent: scenario((call) => ({ ...call, path: `/agents/${randomUUID()}` })),
  }),
  RESOURCE_NOT_FOUND: scenario((call, w) => ({
    ...call,
    path: `/points/ledger/${randomUUID()}`,
    session: w.a,
  })),
  TASK_NOT_FOUND: scenario((call) => ({ ...call, path: taskPath(call, randomUUID()) })),
  TASK_MD_NOT_FOUND: lifecycle(
    async () => undefined,
    ({ b }, taskId) => ({ method: 'GET', path: `/tasks/${taskId}/task.md`, session: b }),
  ),
  FORBIDDEN: lifecycle(
    async ({ market, b }, taskId) => market.act(b, taskId, 'claim'),
    ({ c }, taskId) => ({ method: 'GET', path: `/tasks/${taskId}/task.md`, session: c }),
  ),
  POINTS_INSUFFICIENT: scenario((call) => ({
    ...call,
    body: { ...(call.body as object), bounty: 5000 },
  })),
  POINTS_FREEZE_FAILED: scenario(async (call, w) => {
    await w.market.operators.setAccountStatus(w.a.agent.id, 'locked');
    return call;
  }),
  POINTS_UNFREEZE_FAILED: scenario(async (call, w) => {
    await w.market.operators.setAccountStatus(w.a.agent.id, 'locked');
    return call;
  }),
  POINTS_TRANSFER_FAILED: scenario(async (call, w) => {
    await w.market.operators.setAccountStatus(w.b.agent.id, 'locked');
    return call;
  }),
  NOT_TASK_PUBLISHER: scenario((call, w) => ({ ...call, session: w.c })),
  NOT_TASK_EXECUTOR: scenario((call, w) => ({ ...call, session: w.c })),
  CANNOT_CLAIM_OWN_TASK: scenario((call, w) => ({ ...call, session: w.a })),
  TASK_ALREADY_CLAIMED: scenario(async (call, w) => {
    await send(w.market, call);
    return { ...call, session: w.c };
  }),
  ACTIVE_TASK_EXISTS: scenario(async (call, w) => {
    const other = await w.market.publish(w.c);
    await w.market.act(w.b, other.id, 'claim');
    return call;
  }),
  TASK_STATE_INVALID: byOperation({
    claimTask: lifecycle(
      ({ market, a }, taskId) => market.act(a, taskId, 'cancel'),
      ({ b }, taskId) => post(b, taskId, 'claim'),
    ),
    submitTask: lifecycle(
      async ({ market, b }, taskId) => {
        await market.act(b, taskId, 'claim');
        await market.act(b, taskId, 'submit', { content: 'Done.' });
      },
      ({ b }, taskId) => post(b, taskId, 'submit', { content: 'Done again.' }),
    ),
    acceptTask: lifecycle(
      ({ market, b }, taskId) => market.act(b, taskId, 'claim'),
      ({ a }, taskId) => post(a, taskId, 'accept'),
    ),
    rejectTask: lifecycle(
      ({ market, b }, taskId) => market.act(b, taskId, 'claim'),
      ({ a }, taskId) => post(a, taskId, 'reject', { reason: 'Too early.' }),
    ),
    cancelTask: lifecycle(
      ({ market, a }, taskId) => market.act(a, taskId, 'cancel'),
      ({ a }, taskId) => post(a, taskId, 'cancel'),
    ),
    uploadTaskBrief: lifecycle(
      ({ market, b }, taskId) => market.act(b, taskId, 'claim'),
      ({ a }, taskId) => ({
        method: 'PUT',
        path: `/tasks/${taskId}/task.md`,
        session: a,
        raw: markdown,
        contentType: 'text/markdown',
      }),
    ),
  }),
  TASK_CLAIMED_NOT_CANCELLABLE: lifecycle(
    ({ market, b }, taskId) => market.act(b, taskId, 'claim'),
    ({ a }, taskId) => post(a, taskId, 'cancel'),
  ),
  TASK_EXPIRED: byOperation({
    claimTask: lifecycle(
      async ({ market }) => market.clock.advance(121),
      ({ b }, taskId) => post(b, taskId, 'claim'),
    ),
    submitTask: lifecycle(
      async ({ market, b }, taskId) => {
        await market.act(b, taskId, 'claim');
        market.clock.advance(121);
      },
      ({ b }, taskId) => post(b, taskId, 'submit', { content: 'Late.' }),
    ),
    rejectTask: lifecycle(
      async (w, taskId) => {
        const { market, b } = w;
        await market.act(b, taskId, 'claim');
        await market.act(b, taskId, 'submit', { content: 'Done.' });
        market.clock.advance(taskMarketConfig({}).decisionWindowSeconds);
        w.a = await market.signIn(w.a.agent); // days later: a token of today
      },
      ({ a }, taskId) => post(a, taskId, 'reject', { reason: 'Too late to ask.' }),
    ),
  }),
  TASK_ALREADY_ACCEPTED: scenario(async (call, w) => {
    const taskId = call.path.split('/')[2] as string;
    await w.market.act(w.a, taskId, 'accept');
    return call;
  }),
};

const entries = new Map(catalog.errors.map((entry) => [entry.name as string, entry]));

describe.each(testDatabases)(
  'task-market server on %s: every documented (operation, code) pair',
  (database) => {
    const passed: string[] = [];
    afterAll(() => {
      const line = `task-market server on ${databaseLabel[database]}`;
      process.stdout.write(`\n${line}: ${passed.length}/${document.pairs.length} pairs\n`);
    });

    it.each(document.pairs)('$operationId answers $code', async (pair) => {
      const entry = entries.get(pair.code);
      const run = scenarios[pair.code];
      expect(run, `a scenario for ${pair.code}`).toBeDefined();
      const { market, reply } = await (run as Scenario)(pair, database);
      try {
        expect({ status: reply.status, code: reply.body?.code }).toEqual({
          status: entry?.status,
          code: entry?.code,
        });
        expect(reply.contentType).toContain(catalog.wire.contentType);
        expect(
          document.validate(pair.operationId, reply.status, reply.contentType, reply.body),
        ).toEqual([]);
        expect(reply.body.request_id).toBe(reply.headers.get('x-request-id'));
        if (reply.status === 429) {
          expect(Number(reply.headers.get('retry-after'))).toBe(reply.body.details.retry_after);
        }
        passed.push(`${pair.operationId} ${pair.code}`);
      } finally {
        await market.close();
      }
    });
  },
);
