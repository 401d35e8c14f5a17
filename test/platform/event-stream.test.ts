import { once } from 'node:events';
import {
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EventStreamOptions,
  isEventStreamError,
  parseLastEventId,
  type StreamEvent,
  writeEventStream,
} from '../../src/platform/event-stream.ts';

/** What the server does with the next request: the events to stream and how. */
interface Route {
  events(request: IncomingMessage): AsyncIterable<StreamEvent>;
  options?: EventStreamOptions;
}

interface Served {
  /** How writeEventStream settled: undefined when it resolved, else what it rejected with. */
  outcome: Promise<unknown>;
  /** Bytes written to the response after it emitted 'close'. */
  writesAfterClose(): number;
}

let server: Server;
let origin = '';
let route: Route;
const served: Served[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    served.push(serve(request, response, route));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function serve(request: IncomingMessage, response: ServerResponse, { events, options }: Route) {
  let closed = false;
  let late = 0;
  response.once('close', () => {
    closed = true;
  });
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  response.write = ((...args: unknown[]) => {
    if (closed) {
      late += 1;
    }
    return write(...args);
  }) as typeof response.write;
  const outcome = writeEventStream(request, response, events(request), options).then(
    () => undefined,
    (error: unknown) => error,
  );
  return { outcome, writesAfterClose: () => late };
}

/** A stream as a client reads it: headers, then events as they complete. */
interface Opened {
  response: IncomingMessage;
  request: ClientRequest;
  /** Every complete event so far (a partial one at a drop is not an event). */
  events: ParsedEvent[];
  /** The raw text received. */
  text(): string;
  /** Resolves once `count` events have arrived. */
  waitFor(count: number): Promise<void>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
}

interface ParsedEvent {
  id?: string;
  event?: string;
  data: string;
}

async function open(headers: Record<string, string> = {}): Promise<Opened> {
  const request = httpRequest(`${origin}/events`, { headers, agent: false });
  request.end();
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  response.setEncoding('utf8');
  let text = '';
  let consumed = 0;
  const events: ParsedEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  response.on('data', (chunk: string) => {
    text += chunk;
    let end = text.indexOf('\n\n', consumed);
    while (end !== -1) {
      const block = text.slice(consumed, end);
      consumed = end + 2;
      const event = parseBlock(block);
      if (event) {
        events.push(event);
      }
      end = text.indexOf('\n\n', consumed);
    }
    for (const waiter of waiters.filter(({ count }) => events.length >= count)) {
      waiter.resolve();
    }
  });
  const ended = new Promise<void>((resolve) => {
    response.on('end', resolve);
    response.on('close', resolve);
  });
  return {
    response,
    request,
    events,
    text: () => text,
    ended,
    waitFor: (count) =>
      events.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
  };
}

function parseBlock(block: string): ParsedEvent | undefined {
  const event: Partial<ParsedEvent> = {};
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      continue;
    }
    const [field = '', ...rest] = line.split(':');
    const value = rest.join(':').replace(/^ /, '');
    if (field === 'data') {
      data.push(value);
    } else if (field === 'id' || field === 'event') {
      event[field] = value;
    }
  }
  return data.length > 0 ? { ...event, data: data.join('\n') } : undefined;
}

/** Resolves with `promise`, or fails the test after `ms`. */
function within<T>(promise: Promise<T>, ms = 1000): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`not settled within ${ms} ms`);
    }),
  ]);
}

function lastServed(): Served {
  const last = served.at(-1);
  if (!last) {
    throw new Error('no request was served');
  }
  return last;
}

describe('writeEventStream', () => {
  it('writes the headers at once, then each event in order, and ends with the producer', async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    route = {
      async *events() {
        await released;
        yield { id: '1', event: 'tick', data: { n: 1 } };
        yield { id: '2', data: 'plain text' };
        yield { event: 'done', data: [1, 2] };
      },
    };
    // The headers arrive while the producer has yielded nothing yet.
    const stream = await within(open());
    expect(stream.response.statusCode).toBe(200);
    expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers['cache-control']).toBe('no-cache');
    expect(stream.response.headers['x-accel-buffering']).toBe('no');
    release();
    await within(stream.ended);
    expect(stream.text()).toBe(
      'id: 1\nevent: tick\ndata: {"n":1}\n\nid: 2\ndata: plain text\n\nevent: done\ndata: [1,2]\n\n',
    );
    expect(await lastServed().outcome).toBeUndefined();
  });

  it('splits multi-line data into data lines', async () => {
    route = {
      async *events() {
        yield { id: '7', data: 'first\nsecond\r\nthird\rfourth' };
        yield { data: '' };
      },
    };
    const stream = await open();
    await within(stream.ended);
    expect(stream.text()).toBe(
      'id: 7\ndata: first\ndata: second\ndata: third\ndata: fourth\n\ndata: \n\n',
    );
    expect(stream.events.map(({ data }) => data)).toEqual(['first\nsecond\nthird\nfourth', '']);
  });

  it('sends the retry delay first when given', async () => {
    route = {
      options: { retryMs: 3000 },
      async *events() {
        yield { data: 'x' };
      },
    };
    const stream = await open();
    await within(stream.ended);
    expect(stream.text()).toBe('retry: 3000\n\ndata: x\n\n');
  });

  it('sends a heartbeat comment while the producer is silent', async () => {
    route = {
      options: { heartbeatMs: 15 },
      async *events() {
        await sleep(100);
        yield { id: '1', data: 'late' };
      },
    };
    const stream = await open();
    await within(stream.ended);
    const [before = '', after = ''] = stream.text().split('id: 1\ndata: late\n\n');
    expect(before.match(/^: heartbeat\n\n/gm)?.length).toBeGreaterThanOrEqual(3);
    expect(before.replaceAll(': heartbeat\n\n', '')).toBe('');
    expect(after).toBe('');
  });

  it('stops the producer when the client goes away, and writes nothing more', async () => {
    let cleanedUp = () => {};
    const cleanup = new Promise<void>((resolve) => {
      cleanedUp = resolve;
    });
    let produced = 0;
    route = {
      options: { heartbeatMs: 5 },
      async *events() {
        try {
          for (;;) {
            produced += 1;
            yield { id: String(produced), data: { n: produced } };
            await sleep(10);
          }
        } finally {
          cleanedUp();
        }
      },
    };
    const stream = await open();
    await within(stream.waitFor(3));
    stream.request.destroy();
    await within(cleanup);
    const served = lastServed();
    expect(await within(served.outcome)).toBeUndefined();
    const producedAtClose = produced;
    // Heartbeats every 5 ms and events every 10 ms would be due by now.
    await sleep(60);
    expect(served.writesAfterClose()).toBe(0);
    expect(produced).toBe(producedAtClose);
  });

  it('ends the stream cleanly when the producer throws, and rejects with its error', async () => {
    const failure = new Error('the database went away');
    route = {
      options: { heartbeatMs: 10 },
      async *events() {
        yield { id: '1', data: 'before' };
        throw failure;
      },
    };
    const stream = await open();
    await within(stream.ended);
    expect(stream.response.complete).toBe(true);
    expect(stream.text()).toBe('id: 1\ndata: before\n\n');
    const outcome = await lastServed().outcome;
    expect(isEventStreamError(outcome)).toBe(true);
    expect((outcome as Error).cause).toBe(failure);
    await sleep(30);
    expect(lastServed().writesAfterClose()).toBe(0);
  });

  it('refuses an event whose id holds a line break, and stops the producer', async () => {
    let stopped = false;
    route = {
      async *events() {
        try {
          yield { id: '1\nevent: forged', data: 'x' };
          yield { data: 'never' };
        } finally {
          stopped = true;
        }
      },
    };
    const stream = await open();
    await within(stream.ended);
    expect(stream.text()).toBe('');
    const outcome = await lastServed().outcome;
    expect(isEventStreamError(outcome)).toBe(true);
    await within(
      (async () => {
        while (!stopped) {
          await sleep(5);
        }
      })(),
    );
  });

  it('lets a client resume after a drop and get every event exactly once, in order', async () => {
    const log: StreamEvent[] = Array.from({ length: 8 }, (_, index) => ({
      id: String(index + 1),
      event: 'step',
      data: { step: index + 1, text: `line ${index + 1}\nmore` },
    }));
    route = {
      async *events(request) {
        const after = Number(parseLastEventId(request) ?? 0);
        for (const event of log.filter(({ id }) => Number(id) > after)) {
          yield event;
          await sleep(5);
        }
      },
    };
    const received: ParsedEvent[] = [];
    let lastId: string | undefined;
    for (const dropAfter of [3, 2, Number.POSITIVE_INFINITY]) {
      const stream = await open(lastId === undefined ? {} : { 'Last-Event-ID': lastId });
      if (Number.isFinite(dropAfter)) {
        await within(stream.waitFor(dropAfter));
        stream.request.destroy();
      } else {
        await within(stream.ended);
      }
      await within(lastServed().outcome);
      // Every complete event that arrived before the drop; a partial one is not an event.
      received.push(...stream.events);
      lastId = stream.events.at(-1)?.id ?? lastId;
    }
    expect(received.map(({ id }) => id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(received.map(({ data }) => JSON.parse(data).step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('parseLastEventId', () => {
  const withHeaders = (headers: Record<string, string>) => ({ headers }) as IncomingMessage;

  it.each([
    [{}, undefined],
    [{ 'last-event-id': '42' }, '42'],
    [{ 'last-event-id': '  evt_7 \t' }, 'evt_7'],
    [{ 'last-event-id': '   ' }, undefined],
  ])('reads %j as %j', (headers, expected) => {
    expect(parseLastEventId(withHeaders(headers))).toBe(expected);
  });
});
