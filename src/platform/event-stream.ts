import type { IncomingMessage, ServerResponse } from 'node:http';

/** One server-sent event. `data` is written as is when a string, else as JSON. */
export interface StreamEvent {
  /** The id a client resumes from (`Last-Event-ID`); no line breaks. */
  id?: string;
  /** The event type; `message` when absent. No line breaks. */
  event?: string;
  data: unknown;
}

export interface EventStreamOptions {
  /** A `: heartbeat` comment after this long without an event, so proxies keep the stream. */
  heartbeatMs?: number;
  /** Sent first as `retry:`: how long a client waits before it reconnects. */
  retryMs?: number;
}

/**
 * The producer of a stream threw after the stream had opened. writeEventStream rejects with it
 * only once the response has ended, so the caller must not hand it to Express's error handler
 * (nothing can be written any more): it logs it, by the role of `cause` (`internal`, or
 * `databaseDown` when the database is unreachable), and stops.
 */
export class EventStreamError extends Error {
  override name = 'EventStreamError';

  constructor(cause: unknown) {
    super(`the event stream's producer failed: ${describe(cause)}`, { cause });
  }
}

/** Whether `error` is the failure of a stream's producer (see EventStreamError). */
export function isEventStreamError(error: unknown): error is EventStreamError {
  return error instanceof EventStreamError;
}

const lineBreak = /\r\n|\r|\n/;
const closedMark = Symbol('closed');
const defaultHeartbeatMs = 15_000;

/**
 * Writes `events` to `response` as text/event-stream until they end or the client goes away.
 *
 * The status is the one already set on `response` (200 unless changed) and the headers are
 * flushed at once, so whatever can refuse the request (not found, forbidden, a bad
 * `Last-Event-ID`) must be decided before this is called: a handler checks, then returns the
 * iterable (an async generator's body only runs once the first event is asked for).
 *
 * - It resolves when the producer ends (the response is ended) or the client disconnects: then
 *   the iterator's `return()` is called so the producer's `finally` runs, on the producer's next
 *   `yield` if it is waiting for something (give it an AbortSignal of `response`'s 'close' to
 *   stop waiting sooner), and nothing more is written.
 * - It rejects with an EventStreamError (`cause`: what the producer threw) when the producer
 *   throws, after ending the stream cleanly; the client sees the stream end and may reconnect
 *   with its `Last-Event-ID`.
 */
export async function writeEventStream(
  request: IncomingMessage,
  response: ServerResponse,
  events: AsyncIterable<StreamEvent>,
  options: EventStreamOptions = {},
): Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? defaultHeartbeatMs;
  let closed = response.destroyed || response.writableEnded;
  let onClose = () => {};
  const gone = new Promise<typeof closedMark>((resolve) => {
    onClose = () => {
      closed = true;
      resolve(closedMark);
    };
  });
  response.once('close', onClose);

  let timer: NodeJS.Timeout | undefined;
  /** (Re)starts the wait for the next heartbeat: the producer has said nothing since now. */
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => write(': heartbeat\n\n'), heartbeatMs);
  };
  const write = (chunk: string): Promise<void> | undefined => {
    if (closed || response.destroyed || response.writableEnded) {
      return undefined;
    }
    arm();
    if (response.write(chunk)) {
      return undefined;
    }
    // A slow client: wait until it has read what is buffered, or has gone.
    return new Promise((resolve) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.once('drain', done);
      response.once('close', done);
    });
  };

  if (!closed) {
    request.socket?.setNoDelay(true);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    arm();
    if (options.retryMs !== undefined) {
      write(`retry: ${options.retryMs}\n\n`);
    }
  }

  const iterator = events[Symbol.asyncIterator]();
  // Whether the producer is finished (it ended or threw), so there is nothing to stop.
  let finished = false;
  let failure: { error: unknown } | undefined;
  try {
    while (!closed) {
      const next = iterator.next();
      let step: IteratorResult<StreamEvent> | typeof closedMark;
      try {
        step = await Promise.race([next, gone]);
      } catch (error) {
        finished = true;
        failure = { error };
        break;
      }
      if (step === closedMark) {
        // The producer may still answer, or fail, after the client left: nobody listens.
        next.catch(() => {});
        break;
      }
      if (step.done) {
        finished = true;
        break;
      }
      let chunk: string;
      try {
        chunk = formatEvent(step.value);
      } catch (error) {
        failure = { error };
        break;
      }
      await write(chunk);
    }
  } finally {
    clearTimeout(timer);
    response.off('close', onClose);
    if (!finished) {
      stop(iterator);
    }
    if (!closed && !response.writableEnded) {
      response.end();
    }
  }
  if (failure) {
    throw new EventStreamError(failure.error);
  }
}

/**
 * Runs the producer's `finally` (at once, or at its next `yield` when it is busy); it may fail
 * there, with nobody left to tell.
 */
function stop(iterator: AsyncIterator<StreamEvent>): void {
  try {
    Promise.resolve(iterator.return?.()).catch(() => {});
  } catch {
    // A hand-written iterator whose return() throws at once: it is stopped all the same.
  }
}

/** One event as the text/event-stream format writes it, blank line included. */
export function formatEvent(event: StreamEvent): string {
  let text = '';
  if (event.id !== undefined) {
    text += `id: ${singleLine('id', event.id)}\n`;
  }
  if (event.event !== undefined) {
    text += `event: ${singleLine('event', event.event)}\n`;
  }
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
  if (data === undefined) {
    throw new TypeError('an event needs data that JSON can write');
  }
  for (const line of data.split(lineBreak)) {
    text += `data: ${line}\n`;
  }
  return `${text}\n`;
}

function singleLine(field: string, value: string): string {
  if (lineBreak.test(value) || value.includes('\0')) {
    throw new TypeError(`an event's ${field} cannot hold a line break or NUL: ${value}`);
  }
  return value;
}

/**
 * The `Last-Event-ID` header a reconnecting client sends, trimmed; undefined when absent or
 * blank. Its format is the service's to check (its document's pattern for the header). Takes a
 * request or anything with its headers (a handler's context).
 */
export function parseLastEventId(request: Pick<IncomingMessage, 'headers'>): string | undefined {
  const value = request.headers['last-event-id'];
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text ? text : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
