import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAsrStandIn } from '../../src/divination/asr-standin.ts';
import { startAuthProviderStandIn } from '../../src/divination/auth-provider-standin.ts';
import type { DivinationConfig } from '../../src/divination/config.ts';
import { divination } from '../../src/divination/index.ts';
import { startLlmStandIn } from '../../src/divination/llm-standin.ts';
import { databaseFor, type TestDatabase } from '../support/database.ts';
import { type Reply, readReply } from '../support/reply.ts';
import { startService } from '../support/service.ts';

export type { Reply };

export interface RequestOptions {
  /** An access token, sent as `Authorization: Bearer`. */
  token?: string;
  body?: unknown;
  /** A raw body sent as is (malformed JSON, for instance), with `contentType`. */
  raw?: string;
  contentType?: string;
  /** A multipart form. */
  form?: FormData;
  headers?: Record<string, string>;
}

export interface DivinationOptions {
  /** SQLite in memory (the default) or a fresh PostgreSQL database. */
  database?: TestDatabase;
  config?: Partial<DivinationConfig>;
}

/** A signed-in user: their tokens and the `User` sign-in answered. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  // biome-ignore lint/suspicious/noExplicitAny: the User of the document
  user: any;
  phone: string;
}

export type Divination = Awaited<ReturnType<typeof startDivination>>;

let phones = 0;

/**
 * divination started as `npm start` starts it, on 127.0.0.1 at a port of its own, with an auth
 * provider, an LLM and an ASR of its own (as AUTH_PROVIDER_URL, LLM_BASE_URL, ASR_BASE_URL) that
 * tests can make fail, and its storage in a temporary directory.
 */
export async function startDivination(options: DivinationOptions = {}) {
  const database = await databaseFor(options.database ?? 'sqlite');
  const authProvider = await startAuthProviderStandIn();
  const llm = await startLlmStandIn();
  const asr = await startAsrStandIn();
  const storageDirectory = join(mkdtempSync(join(tmpdir(), 'divination-')), 'storage');
  const started = await startService(divination, {
    ...divination.settings({}),
    database: database.location,
    authProviderUrl: authProvider.url,
    authProviderTimeoutMs: 500,
    llm: { ...divination.settings({}).llm, baseUrl: llm.url, timeoutMs: 2000 },
    asr: { ...divination.settings({}).asr, baseUrl: asr.url, timeoutMs: 1000 },
    storage: { ...divination.settings({}).storage, directory: storageDirectory },
    ...options.config,
  });
  const { origin, clock, lifecycle, service } = started;

  async function request(method: string, path: string, options: RequestOptions = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) {
      headers.authorization = `Bearer ${options.token}`;
    }
    let body: BodyInit | undefined = options.form ?? options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    } else if (options.raw !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(`${origin}/divination${path}`, { method, headers, body });
    return readReply(response);
  }

  /** Signs a phone in (a new one unless given), as a user would: a code texted, then entered. */
  async function signIn(phone = `+861380000${String(++phones).padStart(4, '0')}`, extra = {}) {
    const sent = await request('POST', '/auth/otp', { body: { phone } });
    if (sent.status !== 204) {
      throw new Error(`otp failed: ${JSON.stringify(sent.body)}`);
    }
    const code = authProvider.codes.get(phone);
    const reply = await request('POST', '/auth/sign-in', { body: { phone, code, ...extra } });
    if (reply.status !== 200) {
      throw new Error(`sign-in failed: ${JSON.stringify(reply.body)}`);
    }
    return {
      accessToken: reply.body.access_token,
      refreshToken: reply.body.refresh_token,
      user: reply.body.user,
      phone,
    } satisfies Session;
  }

  return {
    origin,
    clock,
    lifecycle,
    db: service.db,
    auth: service.auth,
    storageDirectory,
    authProvider,
    llm,
    asr,
    request,
    signIn,
    async close() {
      await started.close();
      await Promise.all([authProvider.close(), llm.close(), asr.close()]);
      await database.drop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Agent runs (added by the agent area): a run's server-sent events, read one by one as they
// come, with the connection dropped at will (a client going away).

export interface RunStreamEvent {
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: a RunEvent of any type
  data: any;
}

/** An answer read as a server-sent-event stream; a refusal's problem in `body`. */
export interface EventReader {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the problem of a refusal
  body?: any;
  headers: Headers;
  /** The next event; `undefined` once the stream has ended. */
  next(): Promise<RunStreamEvent | undefined>;
  /** Every event left, to the end of the stream. */
  rest(): Promise<RunStreamEvent[]>;
  /** Drops the connection. */
  close(): void;
}

export async function openEvents(
  divination: Pick<Divination, 'origin'>,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<EventReader> {
  const abort = new AbortController();
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) {
    headers.authorization = `Bearer ${options.token}`;
  }
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${divination.origin}/divination${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: abort.signal,
  });
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const { body } = await readReply(response);
    return {
      status: response.status,
      body,
      headers: response.headers,
      next: async () => undefined,
      rest: async () => [],
      close: () => {},
    };
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  async function next(): Promise<RunStreamEvent | undefined> {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const lines = block.split('\n');
        const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
        if (data.length === 0) {
          continue; // a heartbeat
        }
        const id = lines.find((line) => line.startsWith('id: '))?.slice(4) ?? '';
        return { id, data: JSON.parse(data.join('\n')) };
      }
      const { done, value } = await reader.read();
      if (done) {
        return undefined;
      }
      buffered += decoder.decode(value, { stream: true });
    }
  }
  return {
    status: response.status,
    headers: response.headers,
    next,
    async rest() {
      const events: RunStreamEvent[] = [];
      for (let event = await next(); event; event = await next()) {
        events.push(event);
      }
      return events;
    },
    close: () => abort.abort(),
  };
}

let runs = 0;

/** A fresh run id of the document's format. */
export const newRunId = () => `run_${String(Date.now())}${String(++runs).padStart(6, '0')}`;

const casts = {
  iching: { lines: [7, 8, 9, 7, 6, 8] },
  tarot: { spread: 'three_cards', cards: ['The Sun', 'The Moon', 'The Star'] },
};

/** The AG-UI input of a run: a reading of `method` by default, `overrides` merged in. */
export function runInput(
  threadId: string,
  options: {
    method?: 'iching' | 'tarot';
    mode?: 'reading' | 'follow_up';
    question?: string;
    // biome-ignore lint/suspicious/noExplicitAny: inputs of any shape, broken ones included
    forwardedProps?: Record<string, any>;
  } = {},
) {
  const {
    method = 'iching',
    mode = 'reading',
    question = 'Should I change jobs this year?',
  } = options;
  return {
    threadId,
    runId: newRunId(),
    messages: [{ id: 'm_1', role: 'user', content: question }],
    tools: [],
    context: [],
    state: {},
    forwardedProps: {
      runtime_mode: mode,
      ...(mode === 'reading' && { divinationPayload: { method, question, cast: casts[method] } }),
      ...options.forwardedProps,
    },
  };
}

/** Opens a session of `method` for a signed-in user: its thread id. */
export async function newSession(
  divination: Pick<Divination, 'request'>,
  token: string,
  method: 'iching' | 'tarot' = 'iching',
): Promise<string> {
  const created = await divination.request('POST', '/agent/sessions', { token, body: { method } });
  if (created.status !== 201) {
    throw new Error(`session failed: ${JSON.stringify(created.body)}`);
  }
  return created.body.threadId;
}

/** Reads a stream's events up to the first of `type`, that one included. */
export async function readUntil(stream: EventReader, type: string): Promise<RunStreamEvent[]> {
  const events: RunStreamEvent[] = [];
  for (let event = await stream.next(); event; event = await stream.next()) {
    events.push(event);
    if (event.data.type === type) {
      return events;
    }
  }
  throw new Error(`the stream ended before ${type}: ${JSON.stringify(events)}`);
}
