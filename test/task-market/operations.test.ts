import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Market, type Session, startMarket } from './harness.ts';

let market: Market;
let a: Session;
let b: Session;
let c: Session;

beforeEach(async () => {
  market = await startMarket();
  [a, b, c] = (await market.signInAll()) as [Session, Session, Session];
});
afterEach(() => market.close());

const points = async (session: Session) =>
  (await market.request('GET', '/points', { session })).body.data;

describe('POST /auth/token', () => {
  it('returns a token that authenticates and a key that signs writes', async () => {
    const me = await market.request('GET', '/agents/me', { session: a });
    expect(me.body.data).toMatchObject({ id: a.agent.id, status: 'active' });
    const published = await market.request('POST', '/tasks', {
      session: a,
      body: { title: 'Signed', bounty: 10, deadline: '2026-11-30T00:00:00Z' },
    });
    expect(published.status).toBe(201);
  });

  it('answers 40103 with expired_at once the token is an hour old', async () => {
    market.clock.advance(3600);
    const reply = await market.request('GET', '/agents/me', { session: a });
    expect(reply.body).toMatchObject({
      code: 40103,
      details: { expired_at: '2026-11-22T09:00:00.000Z' },
    });
  });

  it('answers 40305 for a disabled agent, and signs it in again once enabled', async () => {
    await market.operators.setAgentStatus(a.agent.id, 'disabled');
    const refused = await market.request('POST', '/auth/token', {
      body: { agent_id: a.agent.id, secret: a.agent.secret },
    });
    expect(refused.body.code).toBe(40305);
    await market.operators.setAgentStatus(a.agent.id, 'active');
    await expect(market.signIn(a.agent)).resolves.toMatchObject({ agent: a.agent });
  });
});

describe('GET /agents/{agentId}', () => {
  it('shows another agent with its counts of published and completed tasks', async () => {
    const task = await market.publish(a);
    await market.act(b, task.id, 'claim');
    await market.act(b, task.id, 'submit', { content: 'Done.' });
    await market.act(a, task.id, 'accept');
    const publisher = await market.request('GET', `/agents/${a.agent.id}`, { session: c });
    const executor = await market.request('GET', `/agents/${b.agent.id}`, { session: c });
    expect(publisher.body.data.stats).toEqual({ published: 1, completed: 0 });
    expect(executor.body.data.stats).toEqual({ published: 0, completed: 1 });
  });
});

describe('GET /points/ledger', () => {
  it('lists movements newest first, a page at a time', async () => {
    for (const bounty of [10, 20, 30]) {
      await market.publish(a, { bounty });
    }
    const first = await market.request('GET', '/points/ledger?limit=2', { session: a });
    expect(first.body.data.items.map((entry: { amount: number }) => entry.amount)).toEqual([
      30, 20,
    ]);
    const cursor = first.body.data.next_cursor;
    const second = await market.request('GET', `/points/ledger?limit=2&cursor=${cursor}`, {
      session: a,
    });
    expect(second.body.data.items.map((entry: { type: string }) => entry.type)).toEqual([
      'freeze',
      'grant',
    ]);
    expect(second.body.data.next_cursor).toBeNull();
  });

  it('filters by type and task', async () => {
    const task = await market.publish(a, { bounty: 40 });
    await market.publish(a, { bounty: 15 });
    const reply = await market.request('GET', `/points/ledger?type=freeze&task_id=${task.id}`, {
      session: a,
    });
    expect(reply.body.data.items).toEqual([
      expect.objectContaining({
        type: 'freeze',
        amount: 40,
        available_after: 960,
        frozen_after: 40,
      }),
    ]);
  });

  it('answers 40003 for a cursor it did not hand out', async () => {
    const reply = await market.request('GET', '/points/ledger?cursor=bm90LWEtY3Vyc29y', {
      session: a,
    });
    expect(reply.body).toMatchObject({ code: 40003, details: { field: 'cursor' } });
  });
});

describe('GET /points/ledger/{entryId}', () => {
  it("hides another agent's entries as if they did not exist", async () => {
    const mine = await market.request('GET', '/points/ledger', { session: a });
    const entryId = mine.body.data.items[0].id;
    expect((await market.request('GET', `/points/ledger/${entryId}`, { session: a })).status).toBe(
      200,
    );
    const theirs = await market.request('GET', `/points/ledger/${entryId}`, { session: b });
    expect(theirs.body).toMatchObject({
      code: 40403,
      details: { method: 'GET', path: `/task-market/points/ledger/${entryId}` },
    });
  });
});

describe('GET /tasks', () => {
  it('filters by status, publisher and executor and pages newest first', async () => {
    const first = await market.publish(a, { title: 'First' });
    market.clock.advance(1);
    await market.publish(a, { title: 'Second' });
    market.clock.advance(1);
    await market.publish(c, { title: 'Third' });
    await market.act(b, first.id, 'claim');

    const titles = async (query: string) =>
      (await market.request('GET', `/tasks?${query}`, { session: c })).body.data.items.map(
        (task: { title: string }) => task.title,
      );
    expect(await titles('status=open')).toEqual(['Third', 'Second']);
    expect(await titles(`publisher_id=${a.agent.id}`)).toEqual(['Second', 'First']);
    expect(await titles(`executor_id=${b.agent.id}`)).toEqual(['First']);

    const page = await market.request('GET', '/tasks?limit=1', { session: c });
    const next = await market.request(
      'GET',
      `/tasks?limit=2&cursor=${page.body.data.next_cursor}`,
      {
        session: c,
      },
    );
    expect(next.body.data.items.map((task: { title: string }) => task.title)).toEqual([
      'Second',
      'First',
    ]);
  });
});

describe('POST /tasks', () => {
  it('opens the task and freezes its bounty', async () => {
    const task = await market.publish(a, { bounty: 80 });
    expect(task).toMatchObject({ status: 'open', bounty: 80 });
    expect(await points(a)).toEqual({
      agent_id: a.agent.id,
      available: 920,
      frozen: 80,
      total: 1000,
    });
  });

  it('answers 40201 with what was required and available', async () => {
    const reply = await market.request('POST', '/tasks', {
      session: a,
      body: { title: 'Too dear', bounty: 1001, deadline: '2026-11-30T00:00:00Z' },
    });
    expect(reply.body).toMatchObject({ code: 40201, details: { required: 1001, available: 1000 } });
    expect(await points(a)).toMatchObject({ available: 1000, frozen: 0 });
  });

  it('answers 40004 for a deadline in the past and writes nothing', async () => {
    const reply = await market.request('POST', '/tasks', {
      session: a,
      body: { title: 'Late', bounty: 10, deadline: '2026-11-22T07:59:59Z' },
    });
    expect(reply.body).toMatchObject({ code: 40004, details: { field: 'deadline' } });
    expect((await market.request('GET', '/tasks', { session: a })).body.data.items).toEqual([]);
  });

  it('answers 40202 while an operator holds the account, and freezes nothing', async () => {
    await market.operators.setAccountStatus(a.agent.id, 'locked');
    const reply = await market.request('POST', '/tasks', {
      session: a,
      body: { title: 'Held', bounty: 10, deadline: '2026-11-30T00:00:00Z' },
    });
    expect(reply.body).toMatchObject({ code: 40202, details: { account_status: 'locked' } });
    expect((await market.request('GET', '/tasks', { session: a })).body.data.items).toEqual([]);
  });
});

describe('PUT and GET /tasks/{taskId}/task.md', () => {
  const brief = '# Brief\n\n请总结三篇论文。';

  it('stores the Markdown as sent and serves it back', async () => {
    const task = await market.publish(a);
    const put = await market.request('PUT', `/tasks/${task.id}/task.md`, {
      session: a,
      raw: brief,
      contentType: 'text/markdown',
    });
    expect(put.body.data.has_brief).toBe(true);
    const get = await market.request('GET', `/tasks/${task.id}/task.md`, { session: c });
    expect(get.contentType).toContain('text/markdown');
    expect(get.body).toBe(brief);
  });

  it('lets only the two parties read it once the task is claimed', async () => {
    const task = await market.publish(a);
    await market.request('PUT', `/tasks/${task.id}/task.md`, {
      session: a,
      raw: brief,
      contentType: 'text/markdown',
    });
    await market.act(b, task.id, 'claim');
    for (const [session, status] of [
      [a, 200],
      [b, 200],
      [c, 403],
    ] as const) {
      expect((await market.request('GET', `/tasks/${task.id}/task.md`, { session })).status).toBe(
        status,
      );
    }
  });

  it('answers 40003 for a brief that is not Markdown', async () => {
    const task = await market.publish(a);
    const reply = await market.request('PUT', `/tasks/${task.id}/task.md`, {
      session: a,
      raw: '<h1>Brief</h1>',
      contentType: 'text/html',
    });
    expect(reply.body).toMatchObject({ code: 40003, details: { field: 'Content-Type' } });
  });
});

describe('POST /tasks/{taskId}/claim', () => {
  it('makes the caller the executor', async () => {
    const task = await market.publish(a);
    expect(await market.act(b, task.id, 'claim')).toMatchObject({
      status: 'claimed',
      executor_id: b.agent.id,
    });
  });

  it('answers 40901 with the current status when another agent claimed first', async () => {
    const task = await market.publish(a);
    await market.act(b, task.id, 'claim');
    const reply = await market.request('POST', `/tasks/${task.id}/claim`, { session: c });
    expect(reply.body).toMatchObject({
      code: 40901,
      details: { task_id: task.id, current_status: 'claimed' },
    });
  });

  it('answers 40902 naming the task the caller already works on', async () => {
    const first = await market.publish(a);
    const second = await market.publish(a);
    await market.act(b, first.id, 'claim');
    const reply = await market.request('POST', `/tasks/${second.id}/claim`, { session: b });
    expect(reply.body).toMatchObject({ code: 40902, details: { active_task_id: first.id } });
  });

  it('answers 40905 past the deadline', async () => {
    const task = await market.publish(a, { deadline: '2026-11-22T08:01:00Z' });
    market.clock.advance(60);
    const reply = await market.request('POST', `/tasks/${task.id}/claim`, { session: b });
    expect(reply.body).toMatchObject({
      code: 40905,
      details: { deadline: '2026-11-22T08:01:00.000Z' },
    });
  });
});

describe('POST /tasks/{taskId}/submit', () => {
  it('records the result and waits for the publisher', async () => {
    const task = await market.publish(a);
    await market.act(b, task.id, 'claim');
    const submitted = await market.act(b, task.id, 'submit', { content: '## Result' });
    expect(submitted).toMatchObject({
      status: 'submitted',
      submission: { content: '## Result', submitted_at: '2026-11-22T08:00:00.000Z' },
    });
  });

  it('answers 40303 to anyone but the executor', async () => {
    const task = await market.publish(a);
    await market.act(b, task.id, 'claim');
    const reply = await market.request('POST', `/tasks/${task.id}/submit`, {
      session: c,
      body: { content: 'Mine.' },
    });
    expect(reply.body.code).toBe(40303);
  });
});

describe('POST /tasks/{taskId}/accept', () => {
  it('moves the bounty from the publisher to the executor in one go', async () => {
    const task = await market.publish(a, { bounty: 70 });
    await market.act(b, task.id, 'claim');
    await market.act(b, task.id, 'submit', { content: 'Done.' });
    expect(await market.act(a, task.id, 'accept')).toMatchObject({ status: 'accepted' });
    expect(await points(a)).toMatchObject({ available: 930, frozen: 0, total: 930 });
    expect(await points(b)).toMatchObject({ available: 1070, frozen: 0, total: 1070 });
    const ledger = await market.request('GET', `/points/ledger?task_id=${task.id}`, { session: b });
    expect(ledger.body.data.items).toEqual([
      expect.objectContaining({ type: 'reward', amount: 70 }),
    ]);
  });

  it('answers 40906 the second time and moves nothing', async () => {
    const task = await market.publish(a, { bounty: 70 });
    await market.act(b, task.id, 'claim');
    await market.act(b, task.id, 'submit', { content: 'Done.' });
    await market.act(a, task.id, 'accept');
    const again = await market.request('POST', `/tasks/${task.id}/accept`, { session: a });
    expect(again.body).toMatchObject({ code: 40906, details: { current_status: 'accepted' } });
    expect(await points(b)).toMatchObject({ total: 1070 });
  });

  it('answers 40204 and leaves the task submitted when the executor account is held', async () => {
    const task = await market.publish(a, { bounty: 70 });
    await market.act(b, task.id, 'claim');
    await market.act(b, task.id, 'submit', { content: 'Done.' });
    await market.operators.setAccountStatus(b.agent.id, 'locked');
    const reply = await market.request('POST', `/tasks/${task.id}/accept`, { session: a });
    // Whose account refused, never its balances: they are the executor's, not the caller's.
    expect(reply.body).toMatchObject({
      code: 40204,
      details: { task_id: task.id, party: 'executor' },
    });
    expect(reply.body.details).not.toHaveProperty('available');
    expect(
      (await market.request('GET', `/tasks/${task.id}`, { session: a })).body.data.status,
    ).toBe('submitted');
    expect(await points(a)).toMatchObject({ available: 930, frozen: 70 });
  });
});

describe('POST /tasks/{taskId}/reject', () => {
  it('sends the result back with a reason, and a new submission can be accepted', async () => {
    const task = await market.publish(a);
    await market.act(b, task.id, 'claim');
    await market.act(b, task.id, 'submit', { content: 'Draft.' });
    const rejected = await market.act(a, task.id, 'reject', { reason: 'Cite the sources.' });
    expect(rejected).toMatchObject({ status: 'claimed', rejection_reason: 'Cite the sources.' });
    await market.act(b, task.id, 'submit', { content: 'Final, with sources.' });
    expect(await market.act(a, task.id, 'accept')).toMatchObject({ status: 'accepted' });
  });
});

describe('POST /tasks/{taskId}/cancel', () => {
  it('cancels an open task and unfreezes its bounty', async () => {
    const task = await market.publish(a, { bounty: 60 });
    expect(await market.act(a, task.id, 'cancel')).toMatchObject({ status: 'cancelled' });
    expect(await points(a)).toMatchObject({ available: 1000, frozen: 0 });
  });

  it('answers 40904 once the task is claimed', async () => {
    const task = await market.publish(a);
    await market.act(b, task.id, 'claim');
    const reply = await market.request('POST', `/tasks/${task.id}/cancel`, { session: a });
    expect(reply.body).toMatchObject({ code: 40904, details: { current_status: 'claimed' } });
  });
});

describe('expiry', () => {
  it('expires overdue open and claimed tasks, unfreezes their bounties and frees the executor', async () => {
    const open = await market.publish(a, { bounty: 30, deadline: '2026-11-22T09:00:00Z' });
    const claimed = await market.publish(a, { bounty: 40, deadline: '2026-11-22T09:00:00Z' });
    const later = await market.publish(a, { bounty: 50, deadline: '2026-11-23T09:00:00Z' });
    await market.act(b, claimed.id, 'claim');
    market.clock.advance(3600);

    expect(await market.tasks.expireOverdue()).toBe(2);
    a = await market.signIn(a.agent);
    b = await market.signIn(b.agent);
    const status = async (id: string) =>
      (await market.request('GET', `/tasks/${id}`, { session: a })).body.data.status;
    expect([await status(open.id), await status(claimed.id), await status(later.id)]).toEqual([
      'expired',
      'expired',
      'open',
    ]);
    expect(await points(a)).toMatchObject({ available: 950, frozen: 50 });
    expect(await market.act(b, later.id, 'claim')).toMatchObject({ status: 'claimed' });
  });
});

describe('request signatures', () => {
  const body = { title: 'Signed', bounty: 10, deadline: '2026-11-30T00:00:00Z' };

  it('answers 40105 when the body differs from what was signed', async () => {
    const reply = await market.request('POST', '/tasks', {
      session: a,
      body,
      headers: { 'x-signature': 'f'.repeat(64) },
    });
    expect(reply.body).toMatchObject({ code: 40105, details: { problem: 'mismatch' } });
  });

  it('answers 40105 for a timestamp more than five minutes off', async () => {
    const reply = await market.request('POST', '/tasks', {
      session: a,
      body,
      headers: { 'x-timestamp': String(Math.floor(Date.parse('2026-11-22T07:54:00Z') / 1000)) },
    });
    expect(reply.body).toMatchObject({
      code: 40105,
      details: { header: 'X-Timestamp', problem: 'stale' },
    });
  });
});

describe('rate limits and quotas', () => {
  it('answers 42901 with Retry-After until the window turns', async () => {
    await market.close();
    market = await startMarket({ config: { rateLimit: { limit: 3, windowSeconds: 60 } } });
    const session = await market.signIn(market.agents[0] as Session['agent']);
    const codes: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      codes.push((await market.request('GET', '/points', { session })).body.code);
    }
    expect(codes).toEqual([0, 0, 0, 42901]);
    const limited = await market.request('GET', '/points', { session });
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.body.details).toEqual({ retry_after: 60, limit: 3, window: '60s' });
    market.clock.advance(60);
    expect((await market.request('GET', '/points', { session })).status).toBe(200);
  });
});

describe('every answer', () => {
  it('carries the request id, echoing the caller’s when it has the right form', async () => {
    const id = `req_${randomUUID()}`;
    const reply = await market.request('GET', '/tasks', {
      session: a,
      headers: { 'x-request-id': id },
    });
    expect(reply.headers.get('x-request-id')).toBe(id);
    expect(reply.body.request_id).toBe(id);
  });

  it.each([
    ['an unknown path', 'GET', '/tasks/all/of/them', {}, 40403],
    ['an undocumented method', 'DELETE', '/tasks', {}, 40403],
    ['malformed JSON', 'POST', '/tasks', { raw: '{"title":' }, 40005],
    [
      'a form body',
      'POST',
      '/tasks',
      { raw: 'title=x', contentType: 'application/x-www-form-urlencoded' },
      40003,
    ],
    ['a body over 1 MB', 'POST', '/tasks', { raw: `"${'x'.repeat(1_100_000)}"` }, 40004],
    ['no body at all', 'POST', '/tasks', {}, 40002],
  ])('is the catalog envelope for %s', async (_case, method, path, options, code) => {
    const reply = await market.request(method, path, { session: a, ...options });
    expect(reply.contentType).toContain('application/json');
    expect(reply.body).toMatchObject({ code, request_id: expect.stringMatching(/^req_/) });
    expect(reply.status).toBeLessThan(500);
  });

  it('is 50005 with Connection: close once shutdown began', async () => {
    market.lifecycle.beginShutdown();
    const reply = await market.request('GET', '/tasks', { session: a });
    expect(reply.status).toBe(503);
    expect(reply.body.code).toBe(50005);
    expect(reply.headers.get('connection')).toBe('close');
  });
});
