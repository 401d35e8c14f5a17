import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalog } from '../../generated/task-market/errors.ts';
import { fileBriefStorage } from '../../src/task-market/briefs.ts';
import { taskMarket } from '../../src/task-market/index.ts';
import { openTaskMarketDatabase } from '../../src/task-market/migrations.ts';
import {
  fileCredentials,
  memoryCredentials,
  startOpenClawStandIn,
} from '../../src/task-market/openclaw-standin.ts';
import { createOperators } from '../../src/task-market/operators.ts';
import { createTaskStore } from '../../src/task-market/tasks.ts';
import { startService } from '../support/service.ts';
import { type Market, type MarketOptions, type Session, startMarket } from './harness.ts';

// One describe per finding of the security review of the task-market server; each test failed
// on the code the review read.

/** A catalog entry by name: its status and wire code, never literals. */
function code(name: string) {
  const entry = catalog.errors.find((error) => error.name === name);
  if (!entry) {
    throw new Error(`no ${name} in the catalog`);
  }
  return { status: entry.status, code: entry.code };
}

let market: Market;
let a: Session;
let b: Session;
let c: Session;

async function start(options: MarketOptions = {}) {
  market = await startMarket(options);
  [a, b, c] = (await market.signInAll()) as [Session, Session, Session];
}

/** Moves the clock and signs the three agents in again (tokens last an hour). */
async function advance(seconds: number) {
  market.clock.advance(seconds);
  [a, b, c] = (await market.signInAll()) as [Session, Session, Session];
}

const upload = (session: Session, taskId: string, markdown: string) =>
  market.request('PUT', `/tasks/${taskId}/task.md`, {
    session,
    raw: markdown,
    contentType: 'text/markdown',
  });

/** A task A published, B claimed and submitted. */
async function submittedTask(task: Record<string, unknown> = {}) {
  const published = await market.publish(a, task);
  await market.act(b, published.id, 'claim');
  await market.act(b, published.id, 'submit', { content: 'Draft.' });
  return published;
}

describe('finding 1: only the publisher and the executor see the submission', () => {
  beforeEach(() => start());
  afterEach(() => market.close());

  const viewers = [
    { who: 'the publisher', session: () => a, sees: true },
    { who: 'the executor', session: () => b, sees: true },
    { who: 'a third agent', session: () => c, sees: false },
  ];
  const routes = [
    {
      route: 'GET /tasks/{taskId}',
      read: async (session: Session, taskId: string) =>
        (await market.request('GET', `/tasks/${taskId}`, { session })).body.data,
    },
    {
      route: 'GET /tasks?status=submitted',
      read: async (session: Session, taskId: string) =>
        (await market.request('GET', '/tasks?status=submitted', { session })).body.data.items.find(
          (task: { id: string }) => task.id === taskId,
        ),
    },
  ];

  it.each(routes.flatMap((route) => viewers.map((viewer) => ({ ...route, ...viewer }))))(
    '$route shows $who the submission and rejection reason: $sees',
    async ({ read, session, sees }) => {
      const task = await submittedTask();
      await market.act(a, task.id, 'reject', { reason: 'Cite the sources.' });
      await market.act(b, task.id, 'submit', { content: 'Final, with sources.' });

      const view = await read(session(), task.id);
      expect(view).toMatchObject({ id: task.id, status: 'submitted', executor_id: b.agent.id });
      expect({ submission: view.submission, rejection_reason: view.rejection_reason }).toEqual(
        sees
          ? {
              submission: { content: 'Final, with sources.', submitted_at: expect.any(String) },
              rejection_reason: 'Cite the sources.',
            }
          : { submission: null, rejection_reason: null },
      );
    },
  );
});

describe('finding 3: a brief upload that loses to a claim changes nothing', () => {
  afterEach(() => market.close());

  it('leaves the brief the executor reads unchanged, round after round', async () => {
    market = await startMarket({ agents: 21 });
    const [publisher, ...executors] = (await market.signInAll()) as Session[];
    const answers = new Set<number>();
    for (const [round, executor] of executors.entries()) {
      const task = await market.publish(publisher as Session, { title: `Round ${round}` });
      expect((await upload(publisher as Session, task.id, '# v1')).status).toBe(200);
      const [put, claim] = await Promise.all([
        upload(publisher as Session, task.id, '# v2'),
        market.request('POST', `/tasks/${task.id}/claim`, { session: executor }),
      ]);
      expect(claim.status).toBe(200);
      answers.add(put.body.code);
      if (put.status !== 200) {
        expect(put.body).toMatchObject({
          code: code('TASK_STATE_INVALID').code,
          details: { current_status: 'claimed' },
        });
      }
      const read = await market.request('GET', `/tasks/${task.id}/task.md`, { session: executor });
      expect(read.body, `the upload answered ${put.body.code}`).toBe(
        put.status === 200 ? '# v2' : '# v1',
      );
      // One version on disk, the one the task points at.
      expect(readdirSync(market.briefsDirectory).filter((f) => f.startsWith(task.id))).toHaveLength(
        1,
      );
    }
    expect(answers.has(code('TASK_STATE_INVALID').code), 'some upload lost to its claim').toBe(
      true,
    );
  });
});

describe('finding 4: late rejections, and submissions nobody answers', () => {
  const decisionWindowSeconds = 7200;
  beforeEach(() => start({ config: { decisionWindowSeconds } }));
  afterEach(() => market.close());

  it('gives the executor the decision window to submit again after a late reject', async () => {
    const deadline = new Date(market.clock.now().getTime() + 120_000).toISOString();
    const task = await submittedTask({ deadline, bounty: 70 });
    await advance(121); // past the deadline, within the decision window
    const rejected = await market.act(a, task.id, 'reject', { reason: 'Cite the sources.' });
    expect(rejected).toMatchObject({ status: 'claimed' });
    await advance(decisionWindowSeconds - 1);
    expect(await market.tasks.expireOverdue()).toBe(0);
    expect(await market.act(b, task.id, 'submit', { content: 'With sources.' })).toMatchObject({
      status: 'submitted',
    });
  });

  it('answers 40905 to a reject once the decision window has passed, and still lets the publisher accept', async () => {
    const task = await submittedTask({ bounty: 70 });
    await advance(decisionWindowSeconds);
    const reply = await market.request('POST', `/tasks/${task.id}/reject`, {
      session: a,
      body: { reason: 'Too late to ask again.' },
    });
    expect({ status: reply.status, code: reply.body.code }).toEqual(code('TASK_EXPIRED'));
    expect(reply.body.details).toEqual({ task_id: task.id, deadline: expect.any(String) });
    expect(await market.act(a, task.id, 'accept')).toMatchObject({ status: 'accepted' });
  });

  it.each([
    { after: decisionWindowSeconds - 1, status: 'submitted', settled: 0 },
    { after: decisionWindowSeconds, status: 'accepted', settled: 1 },
  ])(
    'a submission unanswered for $after s is $status after the sweep',
    async ({ after, status, settled }) => {
      const task = await submittedTask({ bounty: 70 });
      const other = await market.publish(c);
      await advance(after);

      expect(await market.tasks.expireOverdue()).toBe(settled);
      const view = (await market.request('GET', `/tasks/${task.id}`, { session: a })).body.data;
      expect(view.status).toBe(status);
      const balances = (await market.request('GET', '/points', { session: b })).body.data;
      expect(balances.available).toBe(1000 + 70 * settled);
      const ledger = await market.request('GET', `/points/ledger?task_id=${task.id}`, {
        session: b,
      });
      expect(ledger.body.data.items.map((entry: { type: string }) => entry.type)).toEqual(
        settled ? ['reward'] : [],
      );
      // The executor is free again only once the submission is settled.
      const claim = await market.request('POST', `/tasks/${other.id}/claim`, { session: b });
      expect(claim.body.code).toBe(settled ? 0 : code('ACTIVE_TASK_EXISTS').code);
      expect(await market.auditLedger()).toEqual([]);
    },
  );
});

describe('finding 6: a refused points movement shows only the caller its own account', () => {
  beforeEach(() => start());
  afterEach(() => market.close());

  const cases = [
    {
      name: 'POINTS_FREEZE_FAILED',
      locked: 'publisher',
      party: 'publisher',
      own: true,
      send: () =>
        market.request('POST', '/tasks', {
          session: a,
          body: { title: 'Held', bounty: 10, deadline: '2030-01-01T00:00:00Z' },
        }),
    },
    {
      name: 'POINTS_UNFREEZE_FAILED',
      locked: 'publisher',
      party: 'publisher',
      own: true,
      setUp: () => market.publish(a, { bounty: 60 }),
      send: (taskId: string) => market.request('POST', `/tasks/${taskId}/cancel`, { session: a }),
    },
    {
      name: 'POINTS_TRANSFER_FAILED',
      locked: 'publisher',
      party: 'publisher',
      own: true,
      setUp: () => submittedTask({ bounty: 60 }),
      send: (taskId: string) => market.request('POST', `/tasks/${taskId}/accept`, { session: a }),
    },
    {
      name: 'POINTS_TRANSFER_FAILED',
      locked: 'executor',
      party: 'executor',
      own: false,
      setUp: () => submittedTask({ bounty: 60 }),
      send: (taskId: string) => market.request('POST', `/tasks/${taskId}/accept`, { session: a }),
    },
  ];

  it.each(cases)(
    '$name when the $locked account is locked: party $party, balances shown: $own',
    async ({ name, locked, party, own, setUp, send }) => {
      const task = setUp ? await setUp() : undefined;
      const holder = locked === 'publisher' ? a : b;
      await market.operators.setAccountStatus(holder.agent.id, 'locked');
      const reply = await send(task?.id as string);
      expect({ status: reply.status, code: reply.body.code }).toEqual(code(name));
      const balances = await market.db
        .selectFrom('accounts')
        .select(['available', 'frozen'])
        .where('agent_id', '=', holder.agent.id)
        .executeTakeFirstOrThrow();
      expect(reply.body.details).toEqual({
        task_id: task?.id ?? expect.any(String),
        party,
        ...(own ? { account_status: 'locked', ...balances } : {}),
      });
    },
  );

  it("logs the other party's account at warn, with the request id", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'warn' },
      { write: (line: string) => void lines.push(JSON.parse(line)) },
    );
    const briefs = fileBriefStorage(mkdtempSync(join(tmpdir(), 'briefs-')));
    const config = taskMarket.settings({});
    const tasks = createTaskStore({ db: market.db, clock: market.clock, log, config, briefs });
    const task = await submittedTask({ bounty: 60 });
    await market.operators.setAccountStatus(b.agent.id, 'locked');

    await expect(
      tasks.accept(task.id, a.agent.id, { requestId: 'req_test' }),
    ).rejects.toMatchObject({
      code: 'POINTS_TRANSFER_FAILED',
      details: { task_id: task.id, party: 'executor' },
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        request_id: 'req_test',
        task_id: task.id,
        party: 'executor',
        agent_id: b.agent.id,
        account_status: 'locked',
        available: 1000,
        frozen: 0,
      }),
    );
  });
});

describe('finding 7: what a brief and a publisher may take', () => {
  afterEach(() => market.close());

  it('refuses a brief of more than 256 KiB however few its characters', async () => {
    await start();
    const task = await market.publish(a);
    // 65,537 four-byte emoji: 262,148 bytes, far fewer characters than the old maxLength.
    const reply = await upload(a, task.id, '😀'.repeat(65_537));
    expect({ status: reply.status, code: reply.body.code }).toEqual(code('INVALID_VALUE'));
    expect((await upload(a, task.id, 'x'.repeat(262_144))).status).toBe(200);
  });

  const endings = [
    {
      ending: 'accepted',
      end: async (taskId: string) => {
        await market.act(b, taskId, 'claim');
        await market.act(b, taskId, 'submit', { content: 'Done.' });
        await market.act(a, taskId, 'accept');
      },
    },
    { ending: 'cancelled', end: (taskId: string) => market.act(a, taskId, 'cancel') },
    {
      ending: 'expired',
      end: async () => {
        await advance(86_401);
        expect(await market.tasks.expireOverdue()).toBe(1);
      },
    },
    {
      ending: 'accepted for its publisher',
      end: async (taskId: string) => {
        await market.act(b, taskId, 'claim');
        await market.act(b, taskId, 'submit', { content: 'Done.' });
        await advance(3 * 86_400);
        expect(await market.tasks.expireOverdue()).toBe(1);
      },
    },
  ];

  it.each(endings)('deletes the brief once the task is $ending', async ({ end }) => {
    await start();
    const task = await market.publish(a);
    expect((await upload(a, task.id, '# Brief')).status).toBe(200);
    await end(task.id);

    expect(readdirSync(market.briefsDirectory).filter((f) => f.startsWith(task.id))).toEqual([]);
    const view = await market.request('GET', `/tasks/${task.id}`, { session: a });
    expect(view.body.data.has_brief).toBe(false);
    const read = await market.request('GET', `/tasks/${task.id}/task.md`, { session: a });
    expect({ status: read.status, code: read.body.code }).toEqual(code('TASK_MD_NOT_FOUND'));
  });

  it('refuses a publish past maxOpenTasks open tasks, until one is claimed', async () => {
    await start({ config: { maxOpenTasks: 2 } });
    const first = await market.publish(a, { title: 'First' });
    await market.publish(a, { title: 'Second' });
    const refused = await market.request('POST', '/tasks', {
      session: a,
      body: { title: 'Third', bounty: 10, deadline: '2030-01-01T00:00:00Z' },
    });
    expect({ status: refused.status, code: refused.body.code }).toEqual(code('INVALID_VALUE'));
    expect(refused.body.details).toEqual({
      field: 'open_tasks',
      reason: 'at most 2 open tasks per agent: cancel one or wait for a claim',
    });
    expect((await market.request('GET', '/points', { session: a })).body.data.frozen).toBe(100);
    await market.act(b, first.id, 'claim');
    await expect(market.publish(a, { title: 'Third, again' })).resolves.toMatchObject({
      status: 'open',
    });
  });
});

describe('finding 10: deadlines the calendar does not have', () => {
  beforeEach(() => start());
  afterEach(() => market.close());

  it.each(['2030-06-30T23:59:60Z', '2030-02-30T12:00:00Z'])(
    'answers 40003 for the deadline %s',
    async (deadline) => {
      const reply = await market.request('POST', '/tasks', {
        session: a,
        body: { title: 'Odd date', bounty: 10, deadline },
      });
      expect({ status: reply.status, code: reply.body.code }).toEqual(code('INVALID_FORMAT'));
      expect(reply.body.details.field).toBe('deadline');
    },
  );
});

describe('the OpenClaw stand-in registers more agents', () => {
  it('signs in a third agent an operator added while the market runs', async () => {
    const settings = taskMarket.settings({ DATA_DIR: mkdtempSync(join(tmpdir(), 'data-')) });
    const running = await startService(taskMarket, settings);
    // What `npm run task-market:agent -- add` does, from another connection to the same files.
    const db = await openTaskMarketDatabase(settings.database);
    try {
      const standIn = fileCredentials(settings.openclawStandInFile as string);
      const operators = createOperators(db, running.clock, { openclawStandIn: standIn });
      const id = randomUUID();
      const { secret } = await operators.addAgent({ id, name: 'third-agent', points: 300 });
      expect(secret).toEqual(expect.any(String));

      const signIn = await fetch(`${running.origin}/task-market/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agent_id: id, secret }),
      });
      expect(signIn.status).toBe(200);
      const { data } = (await signIn.json()) as { data: { agent: { name: string } } };
      expect(data.agent.name).toBe('third-agent');

      const wrong = await fetch(`${running.origin}/task-market/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agent_id: id, secret: `${secret}x` }),
      });
      expect((await wrong.json()).code).toBe(code('OPENCLAW_AUTH_FAILED').code);
    } finally {
      await db.destroy();
      await running.close();
    }
  });

  it('keeps what tests register in memory', async () => {
    const credentials = memoryCredentials([['agent-1', 'secret-1']]);
    const standIn = await startOpenClawStandIn(credentials);
    try {
      await credentials.register('agent-2', 'secret-2');
      const verify = (agent_id: string, secret: string) =>
        fetch(`${standIn.url}/v1/credentials/verify`, {
          method: 'POST',
          body: JSON.stringify({ agent_id, secret }),
        }).then((response) => response.status);
      expect([
        await verify('agent-1', 'secret-1'),
        await verify('agent-2', 'secret-2'),
        await verify('agent-2', 'secret-1'),
      ]).toEqual([200, 200, 401]);
    } finally {
      await standIn.close();
    }
  });
});
