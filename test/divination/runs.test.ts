import { afterEach, describe, expect, it } from 'vitest';
import { divinationConfig } from '../../src/divination/config.ts';
import type { Db } from '../../src/divination/database.ts';
import { createLeases } from '../../src/divination/leases.ts';
import { createLlm } from '../../src/divination/llm.ts';
import { type LlmStandIn, startLlmStandIn } from '../../src/divination/llm-standin.ts';
import { openDivinationDatabase } from '../../src/divination/migrations.ts';
import { checkRunInput, type RunInput } from '../../src/divination/run-input.ts';
import { createRuns } from '../../src/divination/runs.ts';
import { createSessions } from '../../src/divination/sessions.ts';
import { createUser } from '../../src/divination/users.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createTokens } from '../../src/platform/tokens.ts';
import { TestClock } from '../support/clock.ts';
import { testDatabases } from '../support/database.ts';
import {
  type Divination,
  type EventReader,
  newRunId,
  newSession,
  openEvents,
  type RunStreamEvent,
  readUntil,
  runInput,
  startDivination,
} from './harness.ts';

let service: Divination;
afterEach(() => service?.close());

/** Polls `check` until it holds (a stream's place is given back just after its last event). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('the condition never held');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The user's open run streams: their places in `stream_leases`. */
const openStreams = async (userId: string) =>
  Number(
    (
      await service.db
        .selectFrom('stream_leases')
        .select((eb) => eb.fn.countAll().as('held'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
    ).held,
  );

const ledger = (userId: string) =>
  service.db
    .selectFrom('points_ledger')
    .select(['kind', 'amount', 'run_id'])
    .where('user_id', '=', userId)
    .where('kind', 'in', ['run', 'refund'])
    .execute();

const types = (events: RunStreamEvent[]) => events.map((event) => event.data.type);

/** Runs a reading to its end: its events. */
async function run(token: string, input: ReturnType<typeof runInput>) {
  const stream = await openEvents(service, 'POST', '/agent/runs', { token, body: input });
  expect(stream.status, JSON.stringify(stream.body)).toBe(200);
  return stream.rest();
}

const replay = (token: string, threadId: string, runId: string, lastEventId?: string) =>
  openEvents(service, 'GET', `/agent/sessions/${threadId}/events?runId=${runId}`, {
    token,
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
  });

describe.each(testDatabases)('runs on %s', (database) => {
  it('resumes a run dropped after its third event with every event once, in order', async () => {
    service = await startDivination({ database });
    service.llm.setChunkDelay(50);
    const { accessToken: token, user } = await service.signIn();
    const threadId = await newSession(service, token);
    const input = runInput(threadId);
    const first = await openEvents(service, 'POST', '/agent/runs', { token, body: input });
    const seen = [await first.next(), await first.next(), await first.next()] as RunStreamEvent[];
    first.close();
    // The run goes on without its client, whose place is given back.
    await eventually(async () => (await openStreams(user.id)) === 0);
    const resumed = await (await replay(token, threadId, input.runId, '3')).rest();
    const full = await (await replay(token, threadId, input.runId)).rest();

    expect([...seen, ...resumed]).toEqual(full);
    expect(full.map((event) => event.id)).toEqual(full.map((_event, index) => String(index + 1)));
    expect(types(full)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      ...Array(full.length - 4).fill('TEXT_MESSAGE_CONTENT'),
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    expect(full.at(-1)?.data).toMatchObject({ runId: input.runId, result: { points_charged: 10 } });
    const text = full
      .filter((event) => event.data.type === 'TEXT_MESSAGE_CONTENT')
      .map((event) => event.data.delta)
      .join('');
    const messages = await service.request('GET', `/agent/sessions/${threadId}/messages`, {
      token,
    });
    expect(messages.body.messages).toEqual([
      { id: expect.any(String), role: 'user', content: input.messages[0]?.content },
      { id: full[1]?.data.messageId, role: 'assistant', content: text },
    ]);
  });

  it('opens three streams of ten parallel runs, and charges each started run once', async () => {
    service = await startDivination({ database });
    for (let round = 0; round < 10; round += 1) {
      const { accessToken: token, user } = await service.signIn();
      const threads: string[] = [];
      for (let index = 0; index < 10; index += 1) {
        threads.push(await newSession(service, token, 'tarot'));
      }
      // Tarot readings: each waits for its tool call's approval, its stream open meanwhile.
      const inputs = threads.map((threadId) => runInput(threadId, { method: 'tarot' }));
      const streams = await Promise.all(
        inputs.map((input) => openEvents(service, 'POST', '/agent/runs', { token, body: input })),
      );
      const open = streams.filter((stream) => stream.status === 200);
      const refused = streams.filter((stream) => stream.status === 429);
      expect(open).toHaveLength(3);
      expect(refused).toHaveLength(7);
      for (const stream of refused) {
        expect(stream.body).toMatchObject({ code: 'AGENT_SSE_CONNECTION_LIMIT', limit: 3 });
        expect(Number(stream.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(await openStreams(user.id)).toBe(3);
      const endings = await Promise.all(
        open.map(async (stream) => {
          const callId = (await readUntil(stream, 'TOOL_CALL_END')).at(-1)?.data.toolCallId;
          const path = `/agent/tool-calls/${callId}/approval`;
          await service.request('POST', path, { token, body: { approve: true } });
          return (await stream.rest()).at(-1)?.data.type;
        }),
      );
      expect(endings).toEqual(Array(3).fill('RUN_FINISHED'));

      const charges = await ledger(user.id);
      const started = inputs.filter((_input, index) => streams[index]?.status === 200);
      expect(charges.map((charge) => charge.amount)).toEqual([-10, -10, -10]);
      expect(charges.map((charge) => charge.run_id).sort()).toEqual(
        started.map((input) => input.runId).sort(),
      );
      const points = await service.request('GET', '/points', { token });
      expect(points.body.balance).toBe(70);
      const counts = await service.db
        .selectFrom('agent_sessions')
        .select('user_message_count')
        .where('user_id', '=', user.id)
        .execute();
      expect(counts.map((row) => row.user_message_count).sort()).toEqual([
        0, 0, 0, 0, 0, 0, 0, 1, 1, 1,
      ]);
      await eventually(async () => (await openStreams(user.id)) === 0);
    }
  });
});

describe('a run', () => {
  it('takes a reading, then one follow-up, then no more', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const threadId = await newSession(service, token);
    const early = await service.request('POST', '/agent/runs', {
      token,
      body: runInput(threadId, { mode: 'follow_up' }),
    });
    expect(early.body.code).toBe('AGENT_RUNTIME_MODE_INVALID');
    expect(types(await run(token, runInput(threadId))).at(-1)).toBe('RUN_FINISHED');
    const again = await service.request('POST', '/agent/runs', { token, body: runInput(threadId) });
    expect(again.body.code).toBe('AGENT_RUNTIME_MODE_INVALID');
    const followUp = await run(token, runInput(threadId, { mode: 'follow_up', question: 'When?' }));
    expect(followUp.at(-2)?.data.type).toBe('TEXT_MESSAGE_END');
    const third = await service.request('POST', '/agent/runs', {
      token,
      body: runInput(threadId, { mode: 'follow_up' }),
    });
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ code: 'AGENT_SESSION_RUN_LIMIT_EXCEEDED', limit: 2 });

    const messages = await service.request('GET', `/agent/sessions/${threadId}/messages`, {
      token,
    });
    expect(messages.body.messages.map((message: { role: string }) => message.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(messages.body.messages[3].content).toContain('When?');
    const session = await service.request('GET', `/agent/sessions/${threadId}`, { token });
    expect(session.body).toMatchObject({
      user_message_count: 2,
      title: 'Should I change jobs this year?',
    });
    expect((await service.request('GET', '/points', { token })).body.balance).toBe(80);
  });

  it('refuses, before its stream opens, what does not fit the session', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const other = await service.signIn();
    const threadId = await newSession(service, token);
    const tarotInput = runInput(threadId, { method: 'tarot' });
    const cases: [object, number, object][] = [
      [tarotInput, 422, { code: 'AGENT_PAYLOAD_INVALID' }],
      [
        { ...runInput(threadId), threadId: 'thr_01JD7K3V9Q' },
        422,
        { code: 'AGENT_SESSION_ID_INVALID', thread_id: 'thr_01JD7K3V9Q' },
      ],
      [
        { ...runInput(threadId), threadId: 'thr_0000000000000000' },
        404,
        { code: 'AGENT_SESSION_NOT_FOUND', thread_id: 'thr_0000000000000000' },
      ],
      [
        { ...runInput(threadId), threadId: 'not-a-thread' },
        422,
        { code: 'REQUEST_VALIDATION_ERROR' },
      ],
      [
        runInput(threadId, {
          forwardedProps: { runtime_mode: 'reading', divinationPayload: undefined },
        }),
        422,
        { code: 'AGENT_DIVINATION_PAYLOAD_REQUIRED' },
      ],
    ];
    for (const [body, status, problem] of cases) {
      const refused = await service.request('POST', '/agent/runs', { token, body });
      expect([refused.status, refused.body]).toMatchObject([status, problem]);
    }
    const foreign = await service.request('POST', '/agent/runs', {
      token: other.accessToken,
      body: runInput(threadId),
    });
    expect(foreign.body.code).toBe('AGENT_FORBIDDEN');

    const input = runInput(threadId);
    await run(token, input);
    const followUp = runInput(threadId, { mode: 'follow_up' });
    const reused = await service.request('POST', '/agent/runs', {
      token,
      body: { ...followUp, runId: input.runId },
    });
    expect(reused.body.code).toBe('AGENT_RUN_INPUT_INVALID');
    // Nothing refused was stored or charged.
    expect((await service.request('GET', '/points', { token })).body.balance).toBe(90);
    expect(
      (await service.request('GET', `/agent/sessions/${threadId}`, { token })).body
        .user_message_count,
    ).toBe(1);
  });

  it('refuses a run the balance cannot pay for, storing nothing', async () => {
    service = await startDivination();
    const { accessToken: token, user } = await service.signIn();
    const threadId = await newSession(service, token);
    await service.db.updateTable('users').set({ balance: 4 }).where('id', '=', user.id).execute();
    const refused = await service.request('POST', '/agent/runs', {
      token,
      body: runInput(threadId),
    });
    expect(refused.status).toBe(402);
    expect(refused.body).toMatchObject({
      code: 'POINTS_INSUFFICIENT_BALANCE',
      required: 10,
      balance: 4,
    });
    expect(await openStreams(user.id)).toBe(0);
    const session = await service.request('GET', `/agent/sessions/${threadId}`, { token });
    expect(session.body.user_message_count).toBe(0);
    expect(await service.db.selectFrom('agent_runs').selectAll().execute()).toEqual([]);
  });

  it('refuses a token whose subject is no user id of ours', async () => {
    service = await startDivination();
    const { value } = await service.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'secret')
      .executeTakeFirstOrThrow();
    const tokens = createTokens({
      secret: Buffer.from(value, 'hex'),
      issuer: 'api-contracts/divination',
      audience: 'divination',
      ttlSeconds: 900,
      clock: service.clock,
    });
    const { token } = await tokens.issue('operator');
    const created = await service.request('POST', '/agent/sessions', {
      token,
      body: { method: 'iching' },
    });
    expect([created.status, created.body.code]).toEqual([422, 'AGENT_USER_ID_INVALID']);
    const listed = await service.request('GET', '/agent/sessions', { token });
    expect(listed.body.code).toBe('AUTH_UNAUTHORIZED');
  });

  it.each([
    ['answers 500', 'failing'],
    ['cuts its stream', 'broken'],
    ['never answers', 'slow'],
  ] as const)(
    'ends with RUN_ERROR when the LLM %s, refunding its points and turn',
    async (_name, mode) => {
      service = await startDivination();
      const { accessToken: token, user } = await service.signIn();
      const threadId = await newSession(service, token);
      service.llm.setMode(mode);
      const events = await run(token, runInput(threadId));
      expect(events.at(-1)?.data).toMatchObject({
        type: 'RUN_ERROR',
        code: 'INTERNAL_ERROR',
        message: 'Unexpected internal server error',
      });
      expect((await ledger(user.id)).map((entry) => entry.amount)).toEqual([-10, 10]);
      const session = await service.request('GET', `/agent/sessions/${threadId}`, { token });
      expect(session.body.user_message_count).toBe(0);
      const messages = await service.request('GET', `/agent/sessions/${threadId}/messages`, {
        token,
      });
      expect(messages.body.messages).toEqual([]);
      // Its turn is back: the reading can be asked again.
      service.llm.setMode('ok');
      expect(types(await run(token, runInput(threadId))).at(-1)).toBe('RUN_FINISHED');
      expect((await service.request('GET', '/points', { token })).body.balance).toBe(90);
    },
  );

  it('stops with its session, deleted mid-run', async () => {
    service = await startDivination();
    service.llm.setChunkDelay(100);
    const { accessToken: token, user } = await service.signIn();
    const threadId = await newSession(service, token);
    const stream = await openEvents(service, 'POST', '/agent/runs', {
      token,
      body: runInput(threadId),
    });
    await stream.next();
    await stream.next();
    const deleted = await service.request('DELETE', `/agent/sessions/${threadId}`, { token });
    expect(deleted.status).toBe(204);
    await stream.rest();
    await eventually(async () => (await openStreams(user.id)) === 0);
    await eventually(
      async () => (await service.db.selectFrom('run_events').selectAll().execute()).length === 0,
    );
  });
});

describe('resuming a run', () => {
  it('replays a finished run and ends; refuses ids that are not the run’s', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const other = await service.signIn();
    const threadId = await newSession(service, token);
    const input = runInput(threadId);
    const events = await run(token, input);
    expect(await (await replay(token, threadId, input.runId)).rest()).toEqual(events);
    expect(
      await (await replay(token, threadId, input.runId, String(events.length))).rest(),
    ).toEqual([]);

    const otherThread = await newSession(service, token);
    const cases: [Promise<{ status: number; body?: { code: string } }>, number, object][] = [
      [
        replay(token, threadId, input.runId, String(events.length + 1)),
        422,
        { code: 'AGENT_INVALID_LAST_EVENT_ID', last_event_id: String(events.length + 1) },
      ],
      [
        replay(token, threadId, input.runId, '99999999999999999999'),
        422,
        { code: 'AGENT_INVALID_LAST_EVENT_ID' },
      ],
      [replay(token, threadId, input.runId, 'latest'), 422, { code: 'REQUEST_VALIDATION_ERROR' }],
      [
        replay(token, otherThread, input.runId),
        422,
        { code: 'AGENT_INVALID_RUN_ID', run_id: input.runId },
      ],
      [replay(token, threadId, newRunId()), 422, { code: 'AGENT_INVALID_RUN_ID' }],
      [replay(token, threadId, 'run_x'), 422, { code: 'REQUEST_VALIDATION_ERROR' }],
      [replay(other.accessToken, threadId, input.runId), 403, { code: 'AGENT_FORBIDDEN' }],
    ];
    for (const [answer, status, problem] of cases) {
      const refused = await answer;
      expect([refused.status, refused.body]).toMatchObject([status, problem]);
    }
  });

  it('counts against the open streams, and follows a live run to its end', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const threadId = await newSession(service, token, 'tarot');
    // A tarot reading waits for its tool call's approval: live until the test approves.
    const input = runInput(threadId, { method: 'tarot' });
    const streams = [await openEvents(service, 'POST', '/agent/runs', { token, body: input })];
    streams.push(await replay(token, threadId, input.runId));
    streams.push(await replay(token, threadId, input.runId, '1'));
    const fourth = await replay(token, threadId, input.runId);
    expect([fourth.status, fourth.body.code]).toEqual([429, 'AGENT_SSE_CONNECTION_LIMIT']);
    const waiting = await readUntil(streams[0] as EventReader, 'TOOL_CALL_END');
    const callId = waiting.at(-1)?.data.toolCallId;
    await service.request('POST', `/agent/tool-calls/${callId}/approval`, {
      token,
      body: { approve: true },
    });
    const [rest, fromStart, fromOne] = await Promise.all(streams.map((stream) => stream.rest()));
    const all = [...waiting, ...(rest ?? [])];
    expect(fromStart).toEqual(all);
    expect(fromOne).toEqual(all.slice(1));
    expect(types(all).at(-1)).toBe('RUN_FINISHED');
  });
});

describe('the runs of an instance', () => {
  let db: Db;
  let standIn: LlmStandIn;
  afterEach(async () => {
    await standIn?.close();
    await db?.destroy();
  });

  /** Runs on their own, without a server: a user, a session of `method`, a stand-in LLM. */
  async function setUp(method: 'iching' | 'tarot', timings = {}) {
    db = await openDivinationDatabase(':memory:');
    standIn = await startLlmStandIn({ chunkDelayMs: 5 });
    const clock = new TestClock();
    const config = divinationConfig({});
    const user = await db
      .transaction()
      .execute((trx) => createUser(trx, { phone: '+8613800009999', now: '' }, config.points));
    const session = await createSessions({ db, clock }).create(user.id, { method });
    const llm = createLlm({ baseUrl: standIn.url, model: 'm', timeoutMs: 5000 });
    const logger = createLogger('silent');
    const leases = createLeases({ db, clock, logger });
    const runs = createRuns({ db, clock, config, llm, logger, leases, timings });
    const input = runInput(session.thread_id, { method }) as RunInput;
    const request = checkRunInput(input, {
      userId: user.id,
      storage: {
        inspectUrl: () => ({ hostAllowed: false, signatureValid: false, expired: false }),
      },
    });
    /** The run's stored events: each type, and the code of a RUN_ERROR. */
    const events = async () => {
      const rows = await db.selectFrom('run_events').select('data').orderBy('seq').execute();
      return rows.map((row) => {
        const { type, code } = JSON.parse(row.data);
        return code ? `${type}:${code}` : type;
      });
    };
    const balance = async () =>
      (await db.selectFrom('users').select('balance').executeTakeFirstOrThrow()).balance;
    /** Another instance on the same database. */
    const otherInstance = () => {
      const leases = createLeases({ db, clock, logger });
      return { leases, runs: createRuns({ db, clock, config, llm, logger, leases, timings }) };
    };
    return { runs, user, request, events, balance, clock, otherInstance, config };
  }

  it('end with RUN_ERROR at shutdown, refunded', async () => {
    const { runs, user, request, events, balance } = await setUp('iching');
    standIn.setMode('slow');
    await runs.start(user.id, request);
    expect(await balance()).toBe(90);
    await runs.close();
    expect(await events()).toEqual(['RUN_STARTED', 'RUN_ERROR:INTERNAL_ERROR']);
    expect(await balance()).toBe(100);
  });

  it('let another instance end, refunded, the run of an instance that died, and free its place', async () => {
    const { runs, user, request, events, balance, clock, otherInstance } = await setUp('iching');
    standIn.setMode('slow'); // the first instance's run hangs: it stands for one that died
    await runs.start(user.id, request);
    const other = otherInstance();
    const takePlace = () =>
      db.transaction().execute((trx) => other.leases.takeStreamPlace(trx, user.id, 3));
    // While the first instance vouches for its run, its stream place counts.
    await takePlace();
    await takePlace();
    await expect(takePlace()).rejects.toMatchObject({ code: 'AGENT_SSE_CONNECTION_LIMIT' });
    await other.runs.sweep();
    expect(await events()).toEqual(['RUN_STARTED']);

    clock.advance(31); // it stopped renewing: its leases ran out
    await other.runs.sweep();
    expect(await events()).toEqual(['RUN_STARTED', 'RUN_ERROR:INTERNAL_ERROR']);
    expect(await balance()).toBe(100);
    await takePlace();
    await other.runs.close();
    // The first instance's worker, ending late, finds the run ended and keeps its events.
    await runs.close();
    expect(await events()).toEqual(['RUN_STARTED', 'RUN_ERROR:INTERNAL_ERROR']);
  });

  it('reject a tool call left undecided, ending with TOOL_REJECTED', async () => {
    const { runs, user, request, events } = await setUp('tarot', {
      approvalTimeoutMs: 100,
      pollMs: 20,
    });
    await runs.start(user.id, request);
    const stop = new AbortController();
    for await (const _event of runs.events(request.runId, 0, stop.signal)) {
      // to the run's end
    }
    expect((await events()).at(-1)).toBe('RUN_ERROR:TOOL_REJECTED');
    const call = await db.selectFrom('tool_calls').selectAll().executeTakeFirstOrThrow();
    expect(call).toMatchObject({ status: 'rejected', decided_at: expect.any(String) });
  });
});
