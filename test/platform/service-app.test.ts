import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFor, testDatabases } from '../support/database.ts';
import { startService, type TestService } from '../support/service.ts';
import { fixtureApiKey } from './fixture/handlers.ts';
import { fixtureService, type RunningFixture } from './fixture/index.ts';
import { bundleFixture } from './fixture.ts';

// The platform on the fixture service (test/platform/fixture/): a catalog whose every error is
// HTTP 200 `{code, msg, data}`, with no unknown-path code of its own, a stream and an upload.

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(24, 1),
]);
const key = { 'x-api-key': fixtureApiKey };

let fixture: TestService<RunningFixture>;
const logged: { level: number; code?: string; msg: string }[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged.push(JSON.parse(String(chunk)));
      done();
    },
  });
  fixture = await startService(
    fixtureService,
    { document: await bundleFixture(), eventGapMs: 20 },
    pino({ level: 'info' }, sink),
  );
});
afterAll(() => fixture.close());

async function call(method: string, path: string, init: RequestInit = {}) {
  const response = await fetch(`${fixture.origin}/fixture${path}`, {
    method,
    ...init,
    headers: { ...key, ...(init.headers as Record<string, string>) },
  });
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    type,
    headers: response.headers,
    body: type.includes('json') ? await response.json() : Buffer.from(await response.arrayBuffer()),
  };
}

async function createItem(name = 'lamp') {
  const reply = await call('POST', '/items', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, count: 2 }),
  });
  return reply.body.id as string;
}

const envelope = (code: number, msg: string) => ({ code, msg, data: null });

describe('a catalog that answers every error with HTTP 200', () => {
  it.each([
    ['a body its schema refuses', 'POST', '/items', { name: 'x', count: 11 }],
    ['malformed JSON', 'POST', '/items', '{"name": '],
    ['a path parameter that does not percent-decode', 'GET', '/items/%zz', undefined],
    ['an unknown query parameter', 'GET', '/items/it_1?color=red', undefined],
  ])('answers %s with its validation code in the envelope', async (_what, method, path, body) => {
    const reply = await call(method, path, {
      ...(body !== undefined && {
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    });
    expect([reply.status, reply.body]).toEqual([200, envelope(301, 'PARAMS_INVALID')]);
  });

  it('answers a path it does not have with the code its catalog borrows for it', async () => {
    for (const path of ['/nowhere', '/items/']) {
      const reply = await call('GET', path);
      expect([reply.status, reply.body]).toEqual([200, envelope(301, 'PARAMS_INVALID')]);
    }
  });

  it("answers a request Node's parser refuses in the envelope, not with a bare 400", async () => {
    const { port } = new URL(fixture.origin);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          Buffer.concat([
            Buffer.from('GET /fixture/items/caf'),
            Buffer.from([0xe9]),
            Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
          ]),
        );
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(JSON.parse(answer.split('\r\n\r\n')[1] ?? '')).toEqual(envelope(301, 'PARAMS_INVALID'));
  });

  it('logs an internal failure as an error although its status is 200', async () => {
    const id = await createItem();
    // A stored item the document cannot show: the answer fails response validation.
    fixture.service.state.items.set(id, { id, name: 42 as unknown as string, count: 1 });
    const reply = await call('GET', `/items/${id}`);
    expect([reply.status, reply.body]).toEqual([200, envelope(500, 'UNKNOWN_ERROR')]);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 50, code: 'UNKNOWN_ERROR', msg: 'request failed' }),
    );
  });

  it('logs nothing but the access line for bad input', async () => {
    logged.length = 0;
    await call('GET', '/items/%zz');
    expect(logged.map((line) => line.msg)).toEqual(['request']);
  });

  it('answers while draining with the code its catalog borrows, and closes the connection', async () => {
    const draining = await startService(fixtureService, { document: await bundleFixture() });
    try {
      draining.lifecycle.beginShutdown();
      const response = await fetch(`${draining.origin}/fixture/items/it_1`, { headers: key });
      expect([response.status, await response.json()]).toEqual([
        200,
        envelope(500, 'UNKNOWN_ERROR'),
      ]);
      expect(response.headers.get('connection')).toBe('close');
    } finally {
      await draining.close();
    }
  });
});

/** The events of a stream as `id: seq` pairs, read until it ends or `stopAfter` arrived. */
async function readEvents(itemId: string, lastEventId?: string, stopAfter = Infinity) {
  const controller = new AbortController();
  const response = await fetch(`${fixture.origin}/fixture/items/${itemId}/events`, {
    headers: { ...key, ...(lastEventId && { 'last-event-id': lastEventId }) },
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const ids: string[] = [];
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      ids.push(
        ...[...text.matchAll(/^id: (\d+)$/gm)].map((match) => match[1] as string).slice(ids.length),
      );
      if (ids.length >= stopAfter) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) {
      throw error;
    }
  }
  return ids;
}

describe('a stream', () => {
  it('sends every event with its id, and resumes after Last-Event-ID', async () => {
    const id = await createItem();
    expect(await readEvents(id)).toEqual(['1', '2', '3', '4', '5']);
    expect(await readEvents(id, '3')).toEqual(['4', '5']);
  });

  it('yields every event exactly once across a dropped and resumed connection', async () => {
    const id = await createItem();
    const first = await readEvents(id, undefined, 2);
    const rest = await readEvents(id, first.at(-1));
    expect([...first, ...rest]).toEqual(['1', '2', '3', '4', '5']);
  });

  it('cleans up when the client goes away', async () => {
    const id = await createItem();
    await readEvents(id, undefined, 1);
    await expect.poll(() => fixture.service.state.openStreams()).toBe(0);
  });

  it('refuses a malformed Last-Event-ID before the stream opens', async () => {
    const id = await createItem();
    const reply = await call('GET', `/items/${id}/events`, { headers: { 'last-event-id': 'x' } });
    expect([reply.status, reply.body]).toEqual([200, envelope(301, 'PARAMS_INVALID')]);
  });
});

/** A multipart body with one file part. */
function form(bytes: Buffer, type: string, filename = 'photo.png') {
  const boundary = 'platform-test';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        `Content-Type: ${type}\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body };
}

describe('an upload and a download', () => {
  it('takes a file within its limits and gives its bytes back', async () => {
    const id = await createItem();
    const uploaded = await call('POST', `/items/${id}/file`, form(png, 'image/png'));
    expect(uploaded.body).toMatchObject({ id, has_file: true });
    const downloaded = await call('GET', `/items/${id}/file`);
    expect(downloaded.type).toBe('image/png');
    expect(downloaded.body).toEqual(png);
  });

  it.each([
    [
      'too large',
      Buffer.concat([png, Buffer.alloc(64 * 1024)]),
      'image/png',
      envelope(601, 'FILE_TOO_LARGE'),
    ],
    [
      'not the type it claims',
      Buffer.from('plain text'),
      'image/png',
      envelope(602, 'FILE_TYPE_INVALID'),
    ],
    ['of a type it does not take', png, 'image/gif', envelope(602, 'FILE_TYPE_INVALID')],
    ['empty', Buffer.alloc(0), 'image/png', envelope(603, 'FILE_EMPTY')],
  ])('refuses a file %s with its catalog code', async (_what, bytes, type, answer) => {
    const id = await createItem();
    const reply = await call('POST', `/items/${id}/file`, form(bytes, type));
    expect([reply.status, reply.body]).toEqual([200, answer]);
    expect(fixture.service.state.items.get(id)?.file).toBeUndefined();
  });
});

describe("the platform's guards", () => {
  it('marks every answer as not to be cached or sniffed', async () => {
    for (const reply of [await call('GET', '/items/%zz'), await call('GET', '/nowhere')]) {
      expect(reply.headers.get('cache-control')).toBe('no-store');
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('refuses a request without credentials before it reads its body', async () => {
    const response = await fetch(`${fixture.origin}/fixture/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(await response.json()).toEqual(envelope(302, 'APIKEY_UNAUTHORIZED'));
  });
});

// What the platform keeps in the database, on each database.
describe.each(testDatabases)('the platform’s tables on %s', (kind) => {
  let service: TestService<RunningFixture>;
  let drop = async () => {};
  beforeAll(async () => {
    const database = await databaseFor(kind);
    drop = database.drop;
    service = await startService(fixtureService, {
      document: await bundleFixture(),
      clientLimit: 3,
      database: database.location,
    });
  });
  afterAll(async () => {
    await service.close();
    await drop();
  });

  it('count every request per client first: unknown paths, bad input and bad keys too', async () => {
    const answers = [];
    for (const path of ['/nowhere', '/items/%zz', '/items/it_1', '/items/it_1']) {
      const response = await fetch(`${service.origin}/fixture${path}`);
      answers.push((await response.json()).msg);
    }
    expect(answers).toEqual([
      'PARAMS_INVALID',
      'PARAMS_INVALID',
      'APIKEY_UNAUTHORIZED',
      'RUN_LIMIT',
    ]);
  });

  it('do a write once per Idempotency-Key, and refuse the key for another request', async () => {
    service.clock.advance(60);
    const create = async (name: string) => {
      const response = await fetch(`${service.origin}/fixture/items`, {
        method: 'POST',
        headers: { ...key, 'content-type': 'application/json', 'idempotency-key': 'key-1' },
        body: JSON.stringify({ name, count: 1 }),
      });
      return { headers: response.headers, body: await response.json() };
    };
    const first = await create('vase');
    const again = await create('vase');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(
      [...service.service.state.items.values()].filter((item) => item.name === 'vase'),
    ).toHaveLength(1);
    expect((await create('bowl')).body).toEqual(envelope(301, 'PARAMS_INVALID'));
  });
});

describe('listen', () => {
  it('binds the loopback address unless told otherwise', () => {
    expect(new URL(fixture.origin).hostname).toBe('127.0.0.1');
  });
});
