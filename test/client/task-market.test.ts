import {
  catalog,
  createTaskMarketClient,
  describeError,
  isApiError,
  type RetryOptions,
} from 'api-contracts/client/task-market';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { sign } from '../../src/task-market/auth.ts';
import { useMock } from '../support/mock.ts';
import { startMarket } from '../task-market/harness.ts';
import { errorAnswer } from './answers.ts';
import { type FakeServer, fakeServer, type Received } from './fake-server.ts';

const taskId = '660e8400-e29b-41d4-a716-446655440002';
const mockOrigin = useMock();

const ok = { status: 200, body: { code: 0, message: 'success', data: {}, request_id: 'req_x' } };
const unavailable = errorAnswer(catalog, 'SERVICE_UNAVAILABLE');

/** A sleep that only records what it was asked to wait. */
function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (milliseconds: number) => void waits.push(milliseconds) };
}

describe('isApiError', () => {
  it('narrows an error to the code it names, its details typed', async () => {
    const client = createTaskMarketClient({
      origin: mockOrigin(),
      headers: { authorization: 'Bearer mock', prefer: 'example=TASK_NOT_FOUND' },
    });
    const { data, error } = await client.GET('/tasks/{taskId}', { params: { path: { taskId } } });
    expect(data).toBeUndefined();
    expect(isApiError(error, 'TOKEN_EXPIRED')).toBe(false);
    expect(isApiError(error, 'TASK_NOT_FOUND')).toBe(true);
    if (isApiError(error, 'TASK_NOT_FOUND')) {
      expectTypeOf(error.code).toEqualTypeOf<40401>();
      expectTypeOf(error.details).toEqualTypeOf<{ task_id: string }>();
      expect(error).toMatchObject({ code: 40401, details: { task_id: taskId } });
    }
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
  let server: FakeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("follows the seed's strategy: three attempts, waiting 1 s then 2 s", async () => {
    server = await fakeServer([unavailable]);
    const { waits, sleep } = recordingSleep();
    const client = createTaskMarketClient({ origin: server.origin, retry: { sleep } });
    const { error } = await client.GET('/points');
    expect(isApiError(error, 'SERVICE_UNAVAILABLE')).toBe(true);
    expect(waits).toEqual([1000, 2000]);
    expect(server.received).toHaveLength(3);
  });

  it('stops at the first answer that is not a retryable code', async () => {
    server = await fakeServer([unavailable, ok]);
    const { waits, sleep } = recordingSleep();
    const client = createTaskMarketClient({ origin: server.origin, retry: { sleep } });
    const { response } = await client.GET('/points');
    expect(response.status).toBe(200);
    expect(waits).toEqual([1000]);
  });

  it.each([
    ['Retry-After and retry_after: 7', { retry_after: 7 }, { 'retry-after': '7' }, [7000, 7000]],
    ['retry_after alone: 3', { retry_after: 3 }, undefined, [3000, 3000]],
    ['1 s, shorter than the back-off', { retry_after: 1 }, { 'retry-after': '1' }, [1000, 2000]],
    [
      '600 s, over the cap of a minute',
      { retry_after: 600 },
      { 'retry-after': '600' },
      [60_000, 60_000],
    ],
  ])(
    'waits the back-off or, when longer, what the server asks (%s)',
    async (_case, details, headers, expected) => {
      server = await fakeServer([errorAnswer(catalog, 'RATE_LIMITED', details, headers)]);
      const { waits, sleep } = recordingSleep();
      const client = createTaskMarketClient({ origin: server.origin, retry: { sleep } });
      await client.GET('/points');
      expect(waits).toEqual(expected);
    },
  );

  it('never retries a code that is not retryable', async () => {
    server = await fakeServer([errorAnswer(catalog, 'TASK_NOT_FOUND', { task_id: taskId })]);
    const { waits, sleep } = recordingSleep();
    const client = createTaskMarketClient({ origin: server.origin, retry: { sleep } });
    await client.GET('/tasks/{taskId}', { params: { path: { taskId } } });
    expect(waits).toEqual([]);
    expect(server.received).toHaveLength(1);
  });

  it('sends what every middleware set on every attempt', async () => {
    server = await fakeServer([unavailable]);
    const client = createTaskMarketClient({
      origin: server.origin,
      retry: { sleep: async () => {} },
    });
    client.use({
      onRequest: ({ request }) => {
        request.headers.set('authorization', 'Bearer from-a-middleware');
      },
    });
    await client.GET('/points');
    expect(server.received.map((received) => received.headers.authorization)).toEqual([
      'Bearer from-a-middleware',
      'Bearer from-a-middleware',
      'Bearer from-a-middleware',
    ]);
  });
});

describe('which requests are retried', () => {
  interface Case {
    request: string;
    method: 'GET' | 'PUT' | 'POST';
    headers: Record<string, string>;
    retry: RetryOptions | false;
    attempts: number;
  }
  it.each<Case>([
    { request: 'a GET', method: 'GET', headers: {}, retry: {}, attempts: 3 },
    { request: 'a PUT', method: 'PUT', headers: {}, retry: {}, attempts: 3 },
    {
      request: 'a POST without an Idempotency-Key',
      method: 'POST',
      headers: {},
      retry: {},
      attempts: 1,
    },
    {
      request: 'a POST without a key, opted in',
      method: 'POST',
      headers: {},
      retry: { retryNonIdempotent: true },
      attempts: 3,
    },
    {
      request: 'a POST with an Idempotency-Key',
      method: 'POST',
      headers: { 'idempotency-key': 'k_1' },
      retry: {},
      attempts: 3,
    },
    {
      request: 'a GET asking the mock for an example',
      method: 'GET',
      headers: { prefer: 'example=RATE_LIMITED' },
      retry: {},
      attempts: 1,
    },
    {
      request: 'a GET asking the mock for a status',
      method: 'GET',
      headers: { prefer: 'code=503' },
      retry: {},
      attempts: 1,
    },
    {
      request: 'an opted-in POST asking the mock for an example',
      method: 'POST',
      headers: { prefer: 'example=INTERNAL_ERROR' },
      retry: { retryNonIdempotent: true },
      attempts: 1,
    },
    { request: 'a GET with retries off', method: 'GET', headers: {}, retry: false, attempts: 1 },
  ])('$request: $attempts attempts', async ({ method, headers, retry, attempts }) => {
    const server = await fakeServer([unavailable]);
    const client = createTaskMarketClient({
      origin: server.origin,
      headers,
      retry: retry && { ...retry, sleep: async () => {} },
    });
    if (method === 'GET') {
      await client.GET('/points');
    } else if (method === 'PUT') {
      await client.PUT('/tasks/{taskId}/task.md', {
        params: { path: { taskId } },
        body: '# Brief',
        bodySerializer: (body) => body,
        headers: { 'content-type': 'text/markdown' },
      });
    } else {
      await client.POST('/auth/token', { body: { agent_id: taskId, secret: 'ocs_x' } });
    }
    await server.close();
    expect(server.received).toHaveLength(attempts);
  });

  it('does not wait through the Retry-After of an example the mock was asked for', async () => {
    const { waits, sleep } = recordingSleep();
    const client = createTaskMarketClient({
      origin: mockOrigin(),
      headers: { authorization: 'Bearer mock', prefer: 'example=RATE_LIMITED' },
      retry: { sleep },
    });
    const { error, response } = await client.GET('/points');
    expect(response.headers.get('retry-after')).toBe('60');
    expect(isApiError(error, 'RATE_LIMITED')).toBe(true);
    expect(waits).toEqual([]);
  });
});

describe('signingKey', () => {
  const signingKey = 'sk_test_0123456789';
  const start = new Date('2030-01-01T00:00:00Z');
  let server: FakeServer | undefined;

  beforeEach(() => {
    // Only Date: the signature's timestamp, which the sleep below moves on.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(start);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
    server = undefined;
  });

  /** The signature the server computes for a received request, with its own helper. */
  const expectedSignature = (received: Received) =>
    sign(signingKey, {
      method: received.method,
      path: received.path,
      timestamp: String(received.headers['x-timestamp']),
      contentType: received.headers['content-type'] ?? '',
      contentEncoding: received.headers['content-encoding'] ?? '',
      idempotencyKey: String(received.headers['idempotency-key'] ?? ''),
      body: received.body,
    });

  /** A client of `server` that signs with `signingKey` and sleeps by moving the clock on. */
  const signingClient = (origin: string) =>
    createTaskMarketClient({
      origin,
      signingKey: () => signingKey,
      retry: {
        sleep: async (milliseconds) => {
          vi.setSystemTime(Date.now() + milliseconds);
        },
      },
    });

  it('signs each attempt of a retried write afresh, with one Idempotency-Key', async () => {
    server = await fakeServer([unavailable, unavailable, ok]);
    const { response } = await signingClient(server.origin).POST('/tasks', {
      body: { title: 'Signed by the client', bounty: 5, deadline: '2030-02-01T00:00:00Z' },
    });
    expect(response.status).toBe(200);
    const attempts = server.received;
    const startSeconds = start.getTime() / 1000;
    expect(attempts.map((received) => received.headers['x-timestamp'])).toEqual(
      [startSeconds, startSeconds + 1, startSeconds + 3].map(String),
    );
    expect(new Set(attempts.map((received) => received.headers['idempotency-key'])).size).toBe(1);
    expect(attempts[0]?.headers['idempotency-key']).toMatch(/^[\w-]{16,}$/);
    for (const received of attempts) {
      expect(received.headers['x-signature']).toBe(expectedSignature(received));
      expect(received.path).toBe('/task-market/tasks');
    }
  });

  it('leaves reads unsigned', async () => {
    server = await fakeServer([ok]);
    await signingClient(server.origin).GET('/points');
    expect(server.received[0]?.headers).not.toHaveProperty('x-signature');
    expect(server.received[0]?.headers).not.toHaveProperty('idempotency-key');
  });

  it('keeps the Idempotency-Key a write was given, and signs it', async () => {
    server = await fakeServer([ok]);
    await signingClient(server.origin).POST('/tasks/{taskId}/claim', {
      params: { path: { taskId } },
      headers: { 'idempotency-key': 'k_given' },
    });
    const [received] = server.received as [Received];
    expect(received.headers['idempotency-key']).toBe('k_given');
    expect(received.headers['x-signature']).toBe(expectedSignature(received));
  });

  it('sends writes unsigned while there is no key yet', async () => {
    server = await fakeServer([ok]);
    const client = createTaskMarketClient({ origin: server.origin, signingKey: () => undefined });
    await client.POST('/auth/token', { body: { agent_id: taskId, secret: 'ocs_x' } });
    expect(server.received[0]?.headers).not.toHaveProperty('x-signature');
    expect(server.received[0]?.headers).not.toHaveProperty('idempotency-key');
  });
});

describe('signingKey against the server', () => {
  it('signs writes the way the server checks them', async () => {
    const market = await startMarket();
    try {
      // The client signs with the real time, which the server's clock must agree with.
      market.clock.advance((Date.now() - market.clock.now().getTime()) / 1000);
      const agent = market.agents[0] as (typeof market.agents)[number];
      let session: { access_token: string; signing_key: string } | undefined;
      const client = createTaskMarketClient({
        origin: market.origin,
        signingKey: () => session?.signing_key,
      });
      const signIn = await client.POST('/auth/token', {
        body: { agent_id: agent.id, secret: agent.secret },
      });
      session = signIn.data?.data;
      client.use({
        onRequest: ({ request }) => {
          request.headers.set('authorization', `Bearer ${session?.access_token}`);
        },
      });
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
