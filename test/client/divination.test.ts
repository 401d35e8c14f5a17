import {
  createDivinationClient,
  isApiError,
  type RunEvent,
  runEvents,
} from 'api-contracts/client/divination';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { loadDocument } from '../support/documents.ts';
import { useMock } from '../support/mock.ts';

const mockOrigin = useMock();

const client = () =>
  createDivinationClient({
    origin: mockOrigin(),
    headers: { authorization: 'Bearer mock' },
    retry: false,
  });
const runInput = loadDocument('divination').validRequest('runAgent').body as never;

describe('runEvents', () => {
  it('reads a run stream into typed events, with the ids to resume from', async () => {
    const { response } = await client().POST('/agent/runs', { body: runInput, parseAs: 'stream' });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events: { id: string | undefined; event: RunEvent }[] = [];
    for await (const received of runEvents(response.body as ReadableStream<Uint8Array>)) {
      events.push(received);
    }
    expect(events.map(({ event }) => event.type)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    expect(events.at(-1)?.id).toBe('6');
    const finished = events.at(-1)?.event;
    if (finished?.type === 'RUN_FINISHED') {
      expectTypeOf(finished.runId).toEqualTypeOf<string>();
      expect(finished.result?.points_charged).toBe(10);
    }
  });
});

describe('problems', () => {
  it('narrow to the code, a refusal before the stream opens', async () => {
    const { error } = await client().POST('/agent/runs', {
      body: runInput,
      headers: { prefer: 'example=AGENT_SESSION_RUN_LIMIT_EXCEEDED' },
    });
    expect(isApiError(error, 'AGENT_SESSION_RUN_LIMIT_EXCEEDED')).toBe(true);
    if (isApiError(error, 'AGENT_SESSION_RUN_LIMIT_EXCEEDED')) {
      expectTypeOf(error.status).toEqualTypeOf<409>();
      expect(error).toMatchObject({
        type: '/docs/divination/errors#AGENT_SESSION_RUN_LIMIT_EXCEEDED',
        status: 409,
        limit: 2,
      });
    }
  });

  it('leave a pending tool approval as a 202 answer, not an error', async () => {
    const { data, error, response } = await client().GET('/agent/tool-calls/{toolCallId}', {
      params: { path: { toolCallId: 'call_01JD7N0Z5K3M' } },
      headers: { prefer: 'example=TOOL_PENDING_APPROVAL' },
    });
    expect(response.status).toBe(202);
    expect(error).toBeUndefined();
    expect(data).toMatchObject({ code: 'TOOL_PENDING_APPROVAL', tool: 'draw_tarot_card' });
  });
});
