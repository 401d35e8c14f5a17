import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** One server-sent event. `data` is written as is when a string, else as JSON. */
export interface StreamEvent {
  /** The id a client resumes from (`Last-Event-ID`); no line breaks. */
  id?: string;
  /** The event type; `message` when absent. No line breaks. */
  event?: string;
  data: unknown;
}

const lineBreak = /\r\n|\r|\n/;

/**
 * Writes `events` to `response` as text/event-stream, with the status already set on it. The
 * headers go out at once, so whatever can refuse the request must be decided before: a handler
 * checks, then returns the events (an async generator's body runs only once the first is asked).
 *
 * - Resolves when the events end (the response is ended) or the client goes away. Either way the
 *   producer's `finally` runs, at its next `yield` if it is waiting: give it the handler's
 *   `signal` to stop waiting sooner.
 * - When `signal` aborts (shutdown), ends the response, so the client resumes elsewhere with its
 *   `Last-Event-ID`, and stops the producer.
 * - When the producer throws, ends the response, then rejects with what it threw.
 */
export async function writeEventStream(
  response: ServerResponse,
  events: AsyncIterable<StreamEvent>,
  options: { heartbeatMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const { heartbeatMs = 15_000, signal } = options;
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-cache');
  response.setHeader('X-Accel-Buffering', 'no');
  response.flushHeaders();

  let quiet = true;
  let failure: { error: unknown } | undefined;
  async function* text() {
    try {
      for await (const event of events) {
        quiet = false;
        yield formatEvent(event);
      }
    } catch (error) {
      // Ending rather than failing lets pipeline end the response cleanly. (When the client has
      // gone, this is the error Readable.from throws in to stop us; pipeline has rejected then.)
      failure = { error };
    }
  }
  // A comment after a quiet interval keeps proxies from closing an idle stream.
  const heartbeat = setInterval(() => {
    if (quiet && !response.writableEnded && !response.destroyed) {
      response.write(': heartbeat\n\n');
    }
    quiet = true;
  }, heartbeatMs);
  // Shutdown ends the response; pipeline then fails, its source cut short, and stops the producer.
  const end = () => response.end();
  signal?.addEventListener('abort', end, { once: true });
  if (signal?.aborted) {
    end();
  }
  try {
    await pipeline(Readable.from(text()), response);
  } catch {
    // The client went away, or `signal` ended the response: nobody is left to tell.
    return;
  } finally {
    clearInterval(heartbeat);
    signal?.removeEventListener('abort', end);
  }
  if (failure) {
    throw failure.error;
  }
}

/** One event as the text/event-stream format writes it, blank line included. */
function formatEvent(event: StreamEvent): string {
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
