import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage, ChatTool } from './llm.ts';
import { readingMarker } from './reading-prompt.ts';

/**
 * How the stand-in behaves: as a provider should; answering 500; never answering (the caller's
 * timeout decides); or cutting its stream mid-way.
 */
export type LlmMode = 'ok' | 'failing' | 'slow' | 'broken';

export interface LlmStandIn {
  url: string;
  setMode(mode: LlmMode): void;
  /** The pause between two chunks of an answer. */
  setChunkDelay(ms: number): void;
  close(): Promise<void>;
}

interface Reading {
  method?: string;
  question?: string;
  cast?: { lines?: unknown; spread?: unknown; cards?: unknown };
}

/**
 * A local OpenAI-compatible `POST /chat/completions` for `npm start` and tests. It streams a
 * deterministic reading of the request's reading (the JSON after `Reading:` in a message) in
 * several chunks; when the request offers a tool and no tool answered since the user spoke, it
 * calls the first tool instead, with the cast's `spread` as its argument (`{}` when the cast has
 * none, as a model can forget an argument). Production sets LLM_BASE_URL.
 */
export async function startLlmStandIn(
  options: { chunkDelayMs?: number } = {},
): Promise<LlmStandIn> {
  let mode: LlmMode = 'ok';
  let chunkDelayMs = options.chunkDelayMs ?? 20;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
        response.writeHead(404).end();
        return;
      }
      if (mode === 'slow') {
        return; // never answers
      }
      if (mode === 'failing') {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ error: { message: 'stand-in failing', type: 'server_error' } }),
        );
        return;
      }
      let body: { messages?: ChatMessage[]; tools?: ChatTool[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        response.writeHead(400).end();
        return;
      }
      void stream(response, answerChunks(body), { broken: mode === 'broken', chunkDelayMs });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode(next) {
      mode = next;
    },
    setChunkDelay(ms) {
      chunkDelayMs = ms;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes the chunks as SSE, pausing between them; `broken` cuts the connection half-way. */
async function stream(
  response: ServerResponse,
  chunks: object[],
  { broken, chunkDelayMs }: { broken: boolean; chunkDelayMs: number },
) {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const last = broken ? Math.ceil(chunks.length / 2) : chunks.length;
  for (const [index, chunk] of chunks.slice(0, last).entries()) {
    if (index > 0) {
      await new Promise((resolve) => setTimeout(resolve, chunkDelayMs));
    }
    if (response.destroyed) {
      return; // the caller went away
    }
    response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  if (broken) {
    response.destroy();
    return;
  }
  response.end('data: [DONE]\n\n');
}

/** The chat-completion chunks of the answer to a request. */
function answerChunks(body: { messages?: ChatMessage[]; tools?: ChatTool[] }): object[] {
  const messages = body.messages ?? [];
  const reading = readingOf(messages);
  const lastUser = messages.findLastIndex((message) => message.role === 'user');
  const toolAnswered = messages.slice(lastUser + 1).some((message) => message.role === 'tool');
  const tool = body.tools?.[0];
  if (tool && !toolAnswered) {
    const spread = reading.cast?.spread;
    const args = JSON.stringify(typeof spread === 'string' ? { spread } : {});
    return toolCallChunks(tool.function.name, args, hash(JSON.stringify(messages)));
  }
  return textChunks(replyText(messages, reading));
}

function chunk(delta: object, finishReason: string | null = null) {
  return {
    id: 'chatcmpl-standin',
    object: 'chat.completion.chunk',
    model: 'stand-in',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

function toolCallChunks(name: string, args: string, seed: string): object[] {
  const id = `call_${seed.slice(0, 20)}`;
  const half = Math.ceil(args.length / 2);
  return [
    chunk({
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }],
    }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, half) } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }),
    chunk({}, 'tool_calls'),
  ];
}

/** The text in pieces of a sentence or so, as a model streams it. */
function textChunks(text: string): object[] {
  const pieces = text.match(/[^。！？.!?]+[。！？.!?]?\s*/g) ?? [text];
  return [
    chunk({ role: 'assistant', content: '' }),
    ...pieces.map((piece) => chunk({ content: piece })),
    chunk({}, 'stop'),
  ];
}

/** The reading the server put in the conversation: the JSON after the marker. */
function readingOf(messages: ChatMessage[]): Reading {
  for (const message of messages) {
    const at = message.content?.indexOf(readingMarker) ?? -1;
    if (message.content && at >= 0) {
      try {
        return JSON.parse(message.content.slice(at + readingMarker.length)) as Reading;
      } catch {
        return {};
      }
    }
  }
  return {};
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

const advice = [
  'Patience serves you better than haste now.',
  'Move forward, but keep something in reserve.',
  'Seek counsel before you commit.',
  'What you start in the spring will bear fruit.',
];

/** The reading's answer, or the follow-up's when the assistant has spoken already. */
function replyText(messages: ChatMessage[], reading: Reading): string {
  const question = reading.question ?? 'your question';
  const counsel = advice[Number.parseInt(hash(question).slice(0, 8), 16) % advice.length];
  const lastUser = messages.findLast((message) => message.role === 'user');
  if (messages.some((message) => message.role === 'assistant' && message.content)) {
    return `On your follow-up "${lastUser?.content ?? ''}": the reading stands. ${counsel} Trust the timing you were shown.`;
  }
  const drawn = messages.findLast((message) => message.role === 'tool')?.content;
  const cast =
    reading.method === 'iching'
      ? hexagram(reading.cast?.lines)
      : `The cards ${JSON.stringify(reading.cast?.cards ?? [])} lie in your spread.`;
  const card = drawn ? ` The card drawn for you: ${drawn}.` : '';
  return `You asked: "${question}". ${cast}${card} ${counsel} The outcome rests on steady effort.`;
}

/** Trigrams by their lines, bottom first, 1 for yang. */
const trigrams: Record<string, string> = {
  '111': 'Heaven',
  '000': 'Earth',
  '100': 'Thunder',
  '010': 'Water',
  '001': 'Mountain',
  '011': 'Wind',
  '101': 'Fire',
  '110': 'Lake',
};

/** The hexagram of six lines (7 and 9 yang, 6 and 9 changing), in words. */
function hexagram(lines: unknown): string {
  const cast = Array.isArray(lines) ? lines.map(Number) : [];
  const bits = cast.map((line) => (line % 2 === 1 ? '1' : '0')).join('');
  const changing = cast.flatMap((line, index) => (line === 6 || line === 9 ? [index + 1] : []));
  const lower = trigrams[bits.slice(0, 3)] ?? 'unknown';
  const upper = trigrams[bits.slice(3, 6)] ?? 'unknown';
  const moving = changing.length > 0 ? `, changing lines ${changing.join(', ')}` : '';
  return `Your hexagram sets ${upper} above ${lower}${moving}.`;
}
