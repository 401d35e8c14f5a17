import {
  createDivinationClient,
  isApiError,
  type RunEvent,
  runEvents,
} from 'api-contracts/client/divination';
import { afterEach, describe, expect, it } from 'vitest';
import { type Divination, newSession, runInput, startDivination } from './harness.ts';

type Received = { id: string | undefined; event: RunEvent };

/** Reads `count` events of a stream (all when absent), then lets the connection go. */
async function take(stream: ReadableStream<Uint8Array>, count = Number.POSITIVE_INFINITY) {
  const events: Received[] = [];
  if (count === 0) {
    return events;
  }
  for await (const received of runEvents(stream)) {
    events.push(received);
    if (events.length >= count) {
      break; // leaving the loop cancels the stream: the connection drops
    }
  }
  return events;
}

describe('the divination client against the server', () => {
  let service: Divination;
  afterEach(() => service?.close());

  it('streams a run, and resumes it after a dropped connection with every event once', async () => {
    service = await startDivination();
    const session = await service.signIn();
    const client = createDivinationClient({
      origin: service.origin,
      headers: { authorization: `Bearer ${session.accessToken}` },
      retry: false,
    });
    const threadId = await newSession(service, session.accessToken);
    const input = runInput(threadId, { question: 'Will the move go well?' });
    const started = await client.POST('/agent/runs', { body: input as never, parseAs: 'stream' });
    const body = started.response.body as ReadableStream<Uint8Array>;
    const first = await take(body, 3);
    expect(first.map(({ id }) => id)).toEqual(['1', '2', '3']);

    const resumeFrom = async (lastEventId?: string) => {
      const resumed = await client.GET('/agent/sessions/{threadId}/events', {
        params: {
          path: { threadId },
          query: { runId: input.runId },
          header: lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId },
        },
        parseAs: 'stream',
      });
      return take(resumed.response.body as ReadableStream<Uint8Array>);
    };
    const rest = await resumeFrom('3');
    const whole = await resumeFrom();
    expect([...first, ...rest]).toEqual(whole);
    expect(whole.at(-1)?.event.type).toBe('RUN_FINISHED');
  });

  it('narrows a refusal before the stream to its problem', async () => {
    service = await startDivination();
    const session = await service.signIn();
    const stranger = await service.signIn();
    const threadId = await newSession(service, session.accessToken);
    const client = createDivinationClient({
      origin: service.origin,
      headers: { authorization: `Bearer ${stranger.accessToken}` },
      retry: false,
    });
    const { error } = await client.POST('/agent/runs', { body: runInput(threadId) as never });
    expect(isApiError(error, 'AGENT_FORBIDDEN')).toBe(true);
  });
});
