/** Thrown when the LLM cannot answer: unreachable, non-2xx, too slow, or a stream cut or garbled. */
export class LlmUnavailableError extends Error {
  override name = 'LlmUnavailableError';
}

export const isLlmUnavailableError = (error: unknown): error is LlmUnavailableError =>
  error instanceof LlmUnavailableError;

/** A tool call as the assistant made it, in the chat-completions shape. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of a chat-completions conversation. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string };

/** A function the model may call. `parameters` is its arguments' JSON Schema. */
export interface ChatTool {
  type: 'function';
  function: { name: string; description: string; parameters: object };
}

/**
 * One piece of the answer as it streams: text, or a piece of the tool call at `index` (its id and
 * name come with its first piece, its JSON arguments in pieces).
 */
export type LlmDelta =
  | { type: 'text'; text: string }
  | { type: 'toolCall'; index: number; id?: string; name?: string; arguments: string };

export interface LlmRequest {
  messages: ChatMessage[];
  tools?: ChatTool[];
  /** Stops the request (the run is being ended). */
  signal?: AbortSignal;
}

/** An OpenAI-compatible chat-completions API, streamed. */
export interface Llm {
  /** `POST {baseUrl}/chat/completions` with `stream: true`: the answer's deltas until `[DONE]`. */
  stream(request: LlmRequest): AsyncIterable<LlmDelta>;
}

export interface LlmOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  /** Longest silence: before the answer starts, and between two pieces of it. */
  timeoutMs: number;
}

export function createLlm(options: LlmOptions): Llm {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    async *stream({ messages, tools, signal }) {
      const silence = silenceTimer(options.timeoutMs, signal);
      try {
        const body = await open(url, options, { messages, tools }, silence.signal);
        for await (const data of serverSentData(body, silence)) {
          yield* deltasOf(data);
        }
      } catch (error) {
        throw isLlmUnavailableError(error)
          ? error
          : new LlmUnavailableError('the LLM did not answer', { cause: error });
      } finally {
        silence.stop();
      }
    },
  };
}

/** Sends the request; the body of a 2xx answer. */
async function open(
  url: string,
  options: LlmOptions,
  request: Pick<LlmRequest, 'messages' | 'tools'>,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
    },
    body: JSON.stringify({
      model: options.model,
      stream: true,
      messages: request.messages,
      ...(request.tools && request.tools.length > 0 && { tools: request.tools }),
    }),
    signal,
  });
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new LlmUnavailableError(`the LLM answered ${response.status}`);
  }
  return response.body;
}

/**
 * An abort signal for silences longer than `timeoutMs` (`touch` after each piece restarts it),
 * aborted too with `outer`.
 */
function silenceTimer(timeoutMs: number, outer?: AbortSignal) {
  const controller = new AbortController();
  const expire = () => controller.abort(new LlmUnavailableError(`no answer in ${timeoutMs} ms`));
  let timer = setTimeout(expire, timeoutMs);
  const stopOuter = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', stopOuter, { once: true });
  return {
    signal: controller.signal,
    touch() {
      clearTimeout(timer);
      timer = setTimeout(expire, timeoutMs);
    },
    stop() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', stopOuter);
    },
  };
}

/** The `data:` payloads of a server-sent-event body, until `[DONE]` (a body ending before it is cut). */
async function* serverSentData(
  body: ReadableStream<Uint8Array>,
  silence: { signal: AbortSignal; touch(): void },
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  const reader = body.getReader();
  const cancel = () => reader.cancel(silence.signal.reason).catch(() => undefined);
  silence.signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (silence.signal.aborted) {
        throw silence.signal.reason;
      }
      if (done) {
        throw new LlmUnavailableError('the LLM stream ended before [DONE]');
      }
      silence.touch();
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split(/\r?\n/);
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('data:')) {
          continue; // blank separators, comments, `event:` lines
        }
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          return;
        }
        yield data;
      }
    }
  } finally {
    silence.signal.removeEventListener('abort', cancel);
    await cancel();
  }
}

interface Chunk {
  error?: unknown;
  choices?: {
    delta?: {
      content?: string | null;
      tool_calls?: {
        index?: number;
        id?: string;
        function?: { name?: string; arguments?: string };
      }[];
    };
  }[];
}

/** The deltas of one chunk; a chunk that is not JSON, or reports an error, is a failure. */
function deltasOf(data: string): LlmDelta[] {
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch (error) {
    throw new LlmUnavailableError('the LLM sent a chunk that is not JSON', { cause: error });
  }
  if (typeof chunk !== 'object' || chunk === null || chunk.error !== undefined) {
    throw new LlmUnavailableError(`the LLM reported a failure: ${data.slice(0, 200)}`);
  }
  const delta = chunk.choices?.[0]?.delta;
  const deltas: LlmDelta[] = [];
  if (typeof delta?.content === 'string' && delta.content !== '') {
    deltas.push({ type: 'text', text: delta.content });
  }
  for (const call of delta?.tool_calls ?? []) {
    deltas.push({
      type: 'toolCall',
      index: call.index ?? 0,
      ...(call.id && { id: call.id }),
      ...(call.function?.name && { name: call.function.name }),
      arguments: call.function?.arguments ?? '',
    });
  }
  return deltas;
}
