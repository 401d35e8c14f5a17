import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChatMessage,
  createLlm,
  isLlmUnavailableError,
  type LlmDelta,
  type LlmOptions,
} from '../../src/divination/llm.ts';
import { type LlmStandIn, startLlmStandIn } from '../../src/divination/llm-standin.ts';
import { drawTarotCard } from '../../src/divination/tool-calls.ts';

const messages: ChatMessage[] = [
  {
    role: 'system',
    content: 'Reading: {"method":"iching","question":"Move?","cast":{"lines":[7,8,9,7,6,8]}}',
  },
  { role: 'user', content: 'Move?' },
];

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function standIn(): Promise<LlmStandIn> {
  const started = await startLlmStandIn({ chunkDelayMs: 5 });
  closers.push(started.close);
  return started;
}

/** A server answering every request with `answer`; what it received. */
async function fakeUpstream(answer: (response: ServerResponse) => void) {
  const received: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString()),
      });
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, received };
}

async function collect(options: LlmOptions, tools = false) {
  const deltas: LlmDelta[] = [];
  for await (const delta of createLlm(options).stream({
    messages,
    ...(tools && { tools: [drawTarotCard] }),
  })) {
    deltas.push(delta);
  }
  return deltas;
}

async function failure(options: LlmOptions, signal?: AbortSignal) {
  try {
    for await (const _delta of createLlm(options).stream({ messages, signal })) {
      // read to the end
    }
  } catch (error) {
    return error;
  }
  return undefined;
}

const sse =
  (...data: string[]) =>
  (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(data.map((line) => `data: ${line}\n\n`).join(''));
  };

describe('the LLM client', () => {
  it('streams the text of an answer', async () => {
    const { url } = await standIn();
    const deltas = await collect({ baseUrl: url, model: 'm', timeoutMs: 1000 });
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.every((delta) => delta.type === 'text')).toBe(true);
    const text = deltas.map((delta) => (delta.type === 'text' ? delta.text : '')).join('');
    expect(text).toContain('You asked: "Move?"');
  });

  it('streams a tool call: its id and name first, its arguments in pieces', async () => {
    const { url } = await standIn();
    const deltas = await collect({ baseUrl: url, model: 'm', timeoutMs: 1000 }, true);
    expect(deltas[0]).toMatchObject({
      type: 'toolCall',
      index: 0,
      id: expect.any(String),
      name: 'draw_tarot_card',
    });
    const args = deltas.map((delta) => (delta.type === 'toolCall' ? delta.arguments : '')).join('');
    expect(JSON.parse(args)).toEqual({});
  });

  it('sends the model, the key and the tools it is given', async () => {
    const upstream = await fakeUpstream(sse('{"choices":[{"delta":{"content":"hi"}}]}', '[DONE]'));
    await collect(
      { baseUrl: upstream.url, apiKey: 'sk-test', model: 'gpt-x', timeoutMs: 1000 },
      true,
    );
    await collect({ baseUrl: `${upstream.url}/`, model: 'gpt-x', timeoutMs: 1000 });
    const [keyed, keyless] = upstream.received;
    expect(keyed?.headers.authorization).toBe('Bearer sk-test');
    expect(keyed?.body).toMatchObject({
      model: 'gpt-x',
      stream: true,
      messages,
      tools: [drawTarotCard],
    });
    expect(keyless?.headers.authorization).toBeUndefined();
    expect(keyless?.body).not.toHaveProperty('tools');
  });

  it('waits as long as the answer keeps coming, however long it takes', async () => {
    const { url, setChunkDelay } = await standIn();
    setChunkDelay(120);
    const started = Date.now();
    const deltas = await collect({ baseUrl: url, model: 'm', timeoutMs: 300 });
    expect(Date.now() - started).toBeGreaterThan(300);
    expect(deltas.length).toBeGreaterThan(2);
  });

  it.each(['failing', 'slow', 'broken'] as const)('fails when the LLM is %s', async (mode) => {
    const { url, setMode } = await standIn();
    setMode(mode);
    expect(isLlmUnavailableError(await failure({ baseUrl: url, model: 'm', timeoutMs: 300 }))).toBe(
      true,
    );
  });

  it.each([
    ['a chunk that is not JSON', sse('{"choices":[]}', 'nope')],
    ['an error chunk', sse('{"error":{"message":"overloaded"}}')],
    ['no [DONE]', sse('{"choices":[{"delta":{"content":"hi"}}]}')],
    ['401', (response: ServerResponse) => response.writeHead(401).end('{}')],
  ])('fails on %s', async (_name, answer) => {
    const upstream = await fakeUpstream(answer);
    const error = await failure({ baseUrl: upstream.url, model: 'm', timeoutMs: 1000 });
    expect(isLlmUnavailableError(error)).toBe(true);
  });

  it('fails when nothing listens, or when it is stopped', async () => {
    const closed = await fakeUpstream(() => {});
    await closers.pop()?.();
    expect(
      isLlmUnavailableError(await failure({ baseUrl: closed.url, model: 'm', timeoutMs: 1000 })),
    ).toBe(true);
    const { url, setMode } = await standIn();
    setMode('slow');
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const started = Date.now();
    const error = await failure({ baseUrl: url, model: 'm', timeoutMs: 5000 }, stop.signal);
    expect(isLlmUnavailableError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
