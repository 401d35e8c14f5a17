import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/divination/database.ts';
import type { Llm } from '../../src/divination/llm.ts';
import { openDivinationDatabase } from '../../src/divination/migrations.ts';
import { converse } from '../../src/divination/run-conversation.ts';
import { createRunFeed } from '../../src/divination/run-stream.ts';
import {
  createToolCalls,
  drawCard,
  drawTarotCard,
  toolArguments,
} from '../../src/divination/tool-calls.ts';
import { TestClock } from '../support/clock.ts';
import { testDatabases } from '../support/database.ts';
import {
  type Divination,
  newSession,
  openEvents,
  readUntil,
  runInput,
  startDivination,
} from './harness.ts';

describe('the draw_tarot_card tool', () => {
  it.each([
    ['{"spread":"three_cards"}', { spread: 'three_cards' }],
    ['{"spread":"celtic_cross","extra":1}', { spread: 'celtic_cross' }],
    ['{}', undefined],
    ['{"spread":"pentagram"}', undefined],
    ['{"spread":3}', undefined],
    ['null', undefined],
    ['{"spread":', undefined],
  ])('reads the arguments %s', (json, args) => {
    expect(toolArguments(json)).toEqual(args);
  });

  it('draws the same card for the same reading, never one it holds', () => {
    const reading = {
      method: 'tarot' as const,
      question: 'Will it rain?',
      cast: { cards: ['The Sun'] },
    };
    const card = drawCard({ spread: 'three_cards' }, reading);
    expect(drawCard({ spread: 'three_cards' }, reading)).toEqual(card);
    expect(card).toMatchObject({
      spread: 'three_cards',
      orientation: expect.stringMatching(/^(upright|reversed)$/),
    });
    const held = drawCard({ spread: 'three_cards' }, { ...reading, cast: { cards: [card.card] } });
    expect(held.card).not.toBe(card.card);
  });
});

describe('waiting for a decision', () => {
  let db: Db;
  afterEach(() => db?.destroy());

  async function pendingCall() {
    db = await openDivinationDatabase(':memory:');
    const feed = createRunFeed();
    const toolCalls = createToolCalls({ db, clock: new TestClock(), feed });
    const call = {
      id: 'call_AAAAAAAAAAAA',
      run_id: 'run_AAAAAAAAAAAA',
      user_id: 'u_A',
      tool: 'draw_tarot_card',
    };
    await toolCalls.record({ ...call, arguments: '{"spread":"three_cards"}' });
    return { toolCalls, call: { id: call.id, runId: call.run_id } };
  }

  it('rejects a call left undecided past the timeout', async () => {
    const { toolCalls, call } = await pendingCall();
    const signal = new AbortController().signal;
    expect(await toolCalls.decision(call, { timeoutMs: 50, pollMs: 20, signal })).toBe('rejected');
    await expect(toolCalls.decide(call.id, 'u_A', true)).rejects.toMatchObject({
      code: 'TOOL_REJECTED',
    });
  });

  it('wakes at the decision, without waiting for its next look', async () => {
    const { toolCalls, call } = await pendingCall();
    const signal = new AbortController().signal;
    const started = Date.now();
    const waited = toolCalls.decision(call, { timeoutMs: 10_000, pollMs: 5000, signal });
    await toolCalls.decide(call.id, 'u_A', true);
    expect(await waited).toBe('approved');
    expect(Date.now() - started).toBeLessThan(2000);
    // Decided once: a rejection afterwards leaves it approved.
    expect((await toolCalls.decide(call.id, 'u_A', false)).status).toBe('approved');
  });
});

let service: Divination;
afterEach(() => service?.close());

/** A tarot reading run until its tool call waits: the stream, the call's id and its events. */
async function tarotRun() {
  const { accessToken: token, user } = await service.signIn();
  const threadId = await newSession(service, token, 'tarot');
  const input = runInput(threadId, { method: 'tarot' });
  const stream = await openEvents(service, 'POST', '/agent/runs', { token, body: input });
  const events = await readUntil(stream, 'TOOL_CALL_END');
  return {
    token,
    user,
    threadId,
    stream,
    events,
    callId: events.at(-1)?.data.toolCallId as string,
  };
}

describe.each(testDatabases)('tool calls on %s', (database) => {
  it('waits for approval, then draws the card and goes on', async () => {
    service = await startDivination({ database });
    const { token, threadId, stream, events, callId } = await tarotRun();
    expect(events.map((event) => event.data.type)).toEqual([
      'RUN_STARTED',
      'TOOL_CALL_START',
      'TOOL_CALL_ARGS',
      'TOOL_CALL_ARGS',
      'TOOL_CALL_END',
    ]);
    expect(events[1]?.data).toMatchObject({ toolCallId: callId, toolCallName: 'draw_tarot_card' });
    const args = events.filter((event) => event.data.type === 'TOOL_CALL_ARGS');
    expect(args.map((event) => event.data.delta).join('')).toBe('{"spread":"three_cards"}');

    const pending = await service.request('GET', `/agent/tool-calls/${callId}`, { token });
    expect(pending.status).toBe(202);
    expect(pending.body).toEqual({
      code: 'TOOL_PENDING_APPROVAL',
      message: 'Tool execution awaiting approval',
      tool_call_id: callId,
      tool: 'draw_tarot_card',
      requested_at: service.clock.now().toISOString(),
    });
    const approved = await service.request('POST', `/agent/tool-calls/${callId}/approval`, {
      token,
      body: { approve: true },
    });
    expect(approved.body).toMatchObject({
      toolCallId: callId,
      status: 'approved',
      arguments: { spread: 'three_cards' },
    });

    const rest = await stream.rest();
    expect(rest.map((event) => event.data.type)).toEqual([
      'STATE_SNAPSHOT',
      'TEXT_MESSAGE_START',
      ...Array(rest.length - 4).fill('TEXT_MESSAGE_CONTENT'),
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    const drawn = rest[0]?.data.snapshot.drawn;
    expect(drawn).toMatchObject({ spread: 'three_cards', card: expect.any(String) });
    const executed = await service.request('GET', `/agent/tool-calls/${callId}`, { token });
    expect([executed.status, executed.body.status]).toEqual([200, 'executed']);
    const messages = await service.request('GET', `/agent/sessions/${threadId}/messages`, {
      token,
    });
    expect(messages.body.messages.map((message: { role: string }) => message.role)).toEqual([
      'user',
      'tool',
      'assistant',
    ]);
    expect(messages.body.messages[1]).toMatchObject({ toolCallId: callId });
    expect(messages.body.messages[2].content).toContain(drawn.card);
  });

  it('ends the run with TOOL_REJECTED once rejected, refunding it', async () => {
    service = await startDivination({ database });
    const { token, stream, callId } = await tarotRun();
    const rejected = await service.request('POST', `/agent/tool-calls/${callId}/approval`, {
      token,
      body: { approve: false },
    });
    expect([rejected.status, rejected.body.status]).toEqual([200, 'rejected']);
    const rest = await stream.rest();
    expect(rest.map((event) => event.data)).toEqual([
      {
        type: 'RUN_ERROR',
        code: 'TOOL_REJECTED',
        message: 'Tool execution was rejected',
        timestamp: expect.any(Number),
      },
    ]);
    const problem = { code: 'TOOL_REJECTED', tool_call_id: callId, tool: 'draw_tarot_card' };
    const read = await service.request('GET', `/agent/tool-calls/${callId}`, { token });
    expect([read.status, read.body]).toMatchObject([403, problem]);
    const again = await service.request('POST', `/agent/tool-calls/${callId}/approval`, {
      token,
      body: { approve: true },
    });
    expect([again.status, again.body]).toMatchObject([403, problem]);
    expect((await service.request('GET', '/points', { token })).body.balance).toBe(100);
  });
});

describe('a tool call', () => {
  it('whose reading names no spread is refused before the stream, MISSING_RUNTIME_ARGS', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const threadId = await newSession(service, token, 'tarot');
    // A cast without a spread: draw_tarot_card would have no `spread` to be called with.
    const input = runInput(threadId, { method: 'tarot' });
    Object.assign(input.forwardedProps.divinationPayload ?? {}, { cast: { cards: ['The Sun'] } });
    const refused = await service.request('POST', '/agent/runs', { token, body: input });
    expect([refused.status, refused.body.code]).toEqual([500, 'MISSING_RUNTIME_ARGS']);
    expect(await service.db.selectFrom('agent_runs').selectAll().execute()).toEqual([]);
    expect((await service.request('GET', '/points', { token })).body.balance).toBe(100);
  });

  it('made by a model without the argument its tool requires ends the run with MISSING_RUNTIME_ARGS', async () => {
    const db = await openDivinationDatabase(':memory:');
    const events: string[] = [];
    // A model that calls the tool without its `spread`, though the cast names one.
    const llm: Llm = {
      async *stream() {
        yield { type: 'toolCall', index: 0, name: 'draw_tarot_card', arguments: '{}' };
      },
    };
    const toolCalls = createToolCalls({ db, clock: new TestClock(), feed: createRunFeed() });
    const conversation = converse(
      {
        runId: 'run_AAAAAAAAAAAA',
        userId: 'u_A',
        payload: { method: 'tarot', question: 'Love?', cast: { spread: 'single_card' } },
        tools: [drawTarotCard],
        messages: [{ role: 'user', content: 'Love?' }],
        signal: new AbortController().signal,
        emit: async (event) => {
          events.push(event.type);
        },
        decision: async () => 'approved',
      },
      llm,
      toolCalls,
    );
    await expect(conversation).rejects.toMatchObject({ code: 'MISSING_RUNTIME_ARGS' });
    expect(events).toEqual(['TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END']);
    expect(await db.selectFrom('tool_calls').selectAll().execute()).toEqual([]);
    await db.destroy();
  });

  it('is its user’s only', async () => {
    service = await startDivination();
    const { token, stream, callId } = await tarotRun();
    const other = await service.signIn();
    for (const [method, path, body] of [
      ['GET', `/agent/tool-calls/${callId}`, undefined],
      ['POST', `/agent/tool-calls/${callId}/approval`, { approve: true }],
    ] as const) {
      const refused = await service.request(method, path, { token: other.accessToken, body });
      expect([refused.status, refused.body.code]).toEqual([422, 'REQUEST_VALIDATION_ERROR']);
    }
    await service.request('POST', `/agent/tool-calls/${callId}/approval`, {
      token,
      body: { approve: false },
    });
    await stream.rest();
  });
});
