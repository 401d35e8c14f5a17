import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createTaskMarketClient,
  describeError,
  type ErrorName,
  isApiError,
  signRequests,
} from 'api-contracts/client/task-market';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { useMock } from '../support/mock.ts';
import { startMarket } from '../task-market/harness.ts';

const taskId = '660e8400-e29b-41d4-a716-446655440002';
const mockOrigin = useMock();

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('isApiError', () => {
  it('narrows an error to the code it names', async () => {
    const client = createTaskMarketClient({
      origin: mockOrigin(),
      headers: { authorization: 'Bearer mock', prefer: 'example=TASK_NOT_FOUND' },
    });
    const { data, error } = await client.GET('/tasks/{taskId}', { params: { path: { taskId } } });
    expect(data).toBeUndefined();
    expect(isApiError(error, 'TASK_EXPIRED')).toBe(false);
    expect(isApiError(error, 'TASK_NOT_FOUND')).toBe(true);
    if (isApiError(error, 'TASK_NOT_FOUND')) {
      expectTypeOf(error.code).toEqualTypeOf<40401>();
      expectTypeOf(error.details).toEqualTypeOf<Record<string, unknown> | undefined>();
      expect(error).toMatchObject({ code: 40401, details: { task_id: taskId } });
    }
  });

  it('takes only names the catalog has', () => {
    expectTypeOf(isApiError).parameter(1).toEqualTypeOf<ErrorName>();
    // @ts-expect-error: not a task-market code
    isApiError({}, 'BOT_NOT_FOUND');
  });
});

describe('describeError', () => {
  it('tells status, wire code, messages, advice and whether to retry', () => {
    const entry = describeError('RATE_LIMITED');
    expectTypeOf(entry.status).toEqualTypeOf<429>();
    expectTypeOf(entry.code).toEqualTypeOf<42901>();
    expect(entry).toMatchObject({
      status: 429,
      code: 42901,
      retryable: true,
      message: { zh: '请求过于频繁', en: 'Too many requests' },
      advice: { en: 'Wait retry_after seconds, then retry' },
    });
  });
});

describe('retries', () => {
  /** A server that answers with each body in turn, then with the last one. */
  async function scripted(
    answers: { status: number; body: object; headers?: Record<string, string> }[],
  ) {
    let calls = 0;
    const server = createServer((_request, response) => {
      const answer = answers[Math.min(calls, answers.length - 1)] as (typeof answers)[number];
      calls += 1;
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(JSON.stringify(answer.body));
    });
    const origin = await listen(server);
    return {
      origin,
      calls: () => calls,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }
  const unavailable = {
    status: 503,
    body: { code: 50005, message: '服务暂时不可用', request_id: 'req_x' },
  };
  const ok = { status: 200, body: { code: 0, message: 'success', data: {}, request_id: 'req_x' } };

  it('retries a retryable code with exponential back-off until it succeeds', async () => {
    const server = await scripted([unavailable, unavailable, ok]);
    const waits: number[] = [];
    const client = createTaskMarketClient({
      origin: server.origin,
      retry: { sleep: async (ms) => void waits.push(ms) },
    });
    const { response } = await client.GET('/points');
    expect(response.status).toBe(200);
    expect(waits).toEqual([1000, 2000]);
    expect(server.calls()).toBe(3);
    await server.close();
  });

  it('waits what Retry-After or retry_after asks when it is longer, and gives up after the last retry', async () => {
    const limited = {
      status: 429,
      headers: { 'retry-after': '7' },
      body: {
        code: 42901,
        message: '请求过于频繁',
        details: { retry_after: 7 },
        request_id: 'req_x',
      },
    };
    const server = await scripted([limited]);
    const waits: number[] = [];
    const client = createTaskMarketClient({
      origin: server.origin,
      retry: { retries: 3, sleep: async (ms) => void waits.push(ms) },
    });
    const { error } = await client.GET('/points');
    expect(isApiError(error, 'RATE_LIMITED')).toBe(true);
    expect(waits).toEqual([7000, 7000, 7000]);
    expect(server.calls()).toBe(4);
    await server.close();
  });

  it('never retries a code that is not retryable', async () => {
    const server = await scripted([
      { status: 404, body: { code: 40401, message: '任务不存在', request_id: 'req_x' } },
    ]);
    const client = createTaskMarketClient({
      origin: server.origin,
      retry: { sleep: async () => {} },
    });
    await client.GET('/tasks/{taskId}', { params: { path: { taskId } } });
    expect(server.calls()).toBe(1);
    await server.close();
  });
});

describe('signRequests', () => {
  it('signs writes the way the server checks them', async () => {
    const market = await startMarket();
    try {
      // The client signs with the real time, which the server's clock must agree with.
      market.clock.advance((Date.now() - market.clock.now().getTime()) / 1000);
      const agent = market.agents[0] as (typeof market.agents)[number];
      const client = createTaskMarketClient({ origin: market.origin });
      const signIn = await client.POST('/auth/token', {
        body: { agent_id: agent.id, secret: agent.secret },
      });
      const session = signIn.data?.data;
      client.use({
        onRequest: ({ request }) => {
          request.headers.set('authorization', `Bearer ${session?.access_token}`);
        },
      });
      client.use(signRequests(() => session?.signing_key));
      const { data, error } = await client.POST('/tasks', {
        body: { title: 'Signed by the client', bounty: 5, deadline: '2030-01-01T00:00:00Z' },
      });
      expect(error).toBeUndefined();
      expect(data?.data.status).toBe('open');
    } finally {
      await market.close();
    }
  });
});
