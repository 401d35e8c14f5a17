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
import { type StreamEvent, writeEventStream } from '../../src/platform/event-stream.ts';

/** What the server does with the next request: the events to stream and how. */
interface Route {
  events(): AsyncIterable<StreamEvent>;
  options?: Parameters<typeof writeEventStream>[2];
}

interface Served {
  /** How writeEventStream settled: undefined when it resolved, else what it rejected with. */
  outcome: Promise<unknown>;
  /** Writes to the response after it emitted 'close'. */
  writesAfterClose(): number;
}

let server: Server;
let origin = '';
let route: Route;
const served: Served[] = [];

beforeAll(async () => {
  server = createServer((_request, response) => {
    served.push(serve(response, route));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function serve(response: ServerResponse, { events, options }: Route): Served {
  let closed = false;
  let late = 0;
  response.once('close', () => {
    closed = true;
  });
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  response.write = ((...args: unknown[]) => {
    late += closed ? 1 : 0;
    return write(...args);
  }) as typeof response.write;
  const outcome = writeEventStream(response, events(), options).then(
    () => undefined,
    (error: unknown) => error,
  );
  return { outcome, writesAfterClose: () => late };
}

/** A stream as a client reads it. */
interface Opened {
  response: IncomingMessage;
  request: ClientRequest;
  /** The raw text received so far. */
  text(): string;
  /** Resolves once `count` complete events (blocks with an id) have arrived. */
  waitFor(count: number): Promise<void>;
  /** Resolves when the connection ends, cleanly or not. */
  ended: Promise<void>;
}

async function open(): Promise<Opened> {
  const request = httpRequest(`${origin}/events`, { agent: false });
  request.end();
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  response.setEncoding('utf8');
  let text = '';
  const waiters: { count: number; resolve: () => void }[] = [];
  response.on('data', (chunk: string) => {
    text += chunk;
    const count = text.match(/^id: .*\n(?:.+\n)*\n/gm)?.length ?? 0;
    for (const waiter of waiters.filter((candidate) => count >= candidate.count)) {
      waiter.resolve();
    }
  });
  response.on('error', () => {});
  const ended = new Promise<void>((resolve) => response.on('close', resolve));
  return {
    response,
    request,
    text: () => text,
    ended,
    waitFor: (count) => new Promise((resolve) => waiters.push({ count, resolve })),
  };
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

/** A promise and the function that resolves it. */
function signalled(): { done: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const done = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { done, resolve };
}

/** Events `1`, `2`, … every 10 ms until stopped; `stopped` resolves when its finally ran. */
function endless() {
  const stopped = signalled();
  const state = { produced: 0, stopped: stopped.done };
  async function* events(): AsyncIterable<StreamEvent> {
    try {
      for (;;) {
        state.produced += 1;
        yield { id: String(state.produced), data: { n: state.produced } };
        await sleep(10);
      }
    } finally {
      stopped.resolve();
    }
  }
  return { state, events };
}

describe('writeEventStream', () => {
  it('writes the headers at once, then each event in order, and ends with the producer', async () => {
    const release = signalled();
    route = {
      async *events() {
        await release.done;
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
    release.resolve();
    await within(stream.ended);
    expect(stream.response.complete).toBe(true);
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
  });

  it('sends heartbeat comments only while the producer is silent', async () => {
    route = {
      options: { heartbeatMs: 20 },
      async *events() {
        await sleep(120);
        for (let n = 1; n <= 20; n += 1) {
          yield { id: String(n), data: 'busy' };
          await sleep(2);
        }
      },
    };
    const stream = await open();
    await within(stream.ended);
    const [before = '', busy = ''] = stream.text().split(/(?=^id: 1\n)/m);
    expect(before.match(/^: heartbeat\n\n/gm)?.length).toBeGreaterThanOrEqual(3);
    expect(before.replaceAll(': heartbeat\n\n', '')).toBe('');
    expect(busy).not.toContain('heartbeat');
  });

  it('stops the producer when the client goes away, and writes nothing more', async () => {
    const { state, events } = endless();
    route = { options: { heartbeatMs: 5 }, events };
    const stream = await open();
    await within(stream.waitFor(3));
    stream.request.destroy();
    const served = lastServed();
    expect(await within(served.outcome)).toBeUndefined();
    // Readable.from's destroy returns the producer: its finally runs.
    await within(state.stopped);
    const producedAtClose = state.produced;
    // Heartbeats every 5 ms and events every 10 ms would be due by now.
    await sleep(60);
    expect(served.writesAfterClose()).toBe(0);
    expect(state.produced).toBe(producedAtClose);
  });

  it('ends the response and stops the producer when the signal aborts', async () => {
    const { state, events } = endless();
    const shutdown = new AbortController();
    route = { options: { signal: shutdown.signal }, events };
    const stream = await open();
    await within(stream.waitFor(2));
    shutdown.abort();
    await within(stream.ended);
    expect(stream.response.complete).toBe(true);
    expect(await within(lastServed().outcome)).toBeUndefined();
    await within(state.stopped);
  });

  it('ends the response when the producer throws, and rejects with its error', async () => {
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
    expect(await lastServed().outcome).toBe(failure);
    await sleep(30);
    expect(lastServed().writesAfterClose()).toBe(0);
  });

  it('refuses an event whose id holds a line break, and stops the producer', async () => {
    const stopped = signalled();
    route = {
      async *events() {
        try {
          yield { id: '1\nevent: forged', data: 'x' };
          yield { data: 'never' };
        } finally {
          stopped.resolve();
        }
      },
    };
    const stream = await open();
    await within(stream.ended);
    expect(stream.text()).toBe('');
    expect(await lastServed().outcome).toBeInstanceOf(TypeError);
    await within(stopped.done);
  });
});
