import { identifyError } from '../src/catalog/envelopes.js';
import type { Catalog } from '../src/catalog/types.d.ts';
import type { AnyHandler, AnyReply } from '../src/platform/handlers.ts';
import type { DocumentedAnswer, MockOperation, Schema } from './operations.ts';
import { parsePrefer } from './prefer.ts';
import { onePixelPng, sampleOf } from './sample.ts';

/** What the mock needs of a service to answer its operations. */
export interface AnswerContext {
  catalog: Catalog;
  resolve(schema: Schema): Schema;
}

/**
 * The handler of one operation: the documented answer `Prefer` asks for (`example=<NAME>` alone
 * picks its status; `code=<status>` the first example at that status; `dynamic=true` a body made
 * from the schema), else the first example of the first success. A name or status the operation
 * does not document is a 400 problem that lists the ones it does.
 */
export function answerHandler(
  operation: MockOperation,
  context: AnswerContext,
): AnyHandler<unknown> {
  return async ({ headers }) => {
    const preferences = parsePrefer(
      headers.prefer === undefined ? undefined : String(headers.prefer),
    );
    const example = preferences.get('example');
    const code = preferences.get('code');
    const chosen = operation.answers.find(
      example === undefined
        ? (answer) => (code === undefined ? answer.status < 300 : String(answer.status) === code)
        : (answer) =>
            answer.name === example && (code === undefined || String(answer.status) === code),
    );
    if (!chosen) {
      return unknownAnswer(
        operation,
        example === undefined ? `status ${code}` : `example named ${example}`,
      );
    }
    return reply(chosen, preferences.get('dynamic') === 'true', context);
  };
}

function reply(answer: DocumentedAnswer, dynamic: boolean, context: AnswerContext): AnyReply {
  const { status, contentType, schema } = answer;
  if (contentType === undefined) {
    return { status };
  }
  const generate = dynamic || !('value' in answer);
  const body = generate ? generated(contentType, schema, context) : answer.value;
  const headers: Record<string, string> = { 'content-type': contentType };
  // The server sends the Retry-After its body's retry_after says.
  const retryAfter = identifyError(context.catalog, body)?.details?.retry_after;
  if (typeof retryAfter === 'number') {
    headers['retry-after'] = String(retryAfter);
  }
  return { status, body: streamText(body, contentType), contentType, headers };
}

/** A body made from the schema; the bytes of a PNG for an image. */
function generated(contentType: string, schema: Schema | undefined, context: AnswerContext) {
  if (contentType === 'image/png') {
    return onePixelPng;
  }
  return schema ? sampleOf(schema, context.resolve) : '';
}

/** An event stream's text ends with the blank line that dispatches its last event. */
function streamText(body: unknown, contentType: string): unknown {
  // YAML drops the blank line that ends the last event of a stream example.
  return contentType === 'text/event-stream' && typeof body === 'string' && !body.endsWith('\n\n')
    ? `${body}\n`
    : body;
}

/** The mock's own problem: what `Prefer` asked for is not documented for the operation. */
function unknownAnswer(operation: MockOperation, asked: string): AnyReply {
  const examples = Object.fromEntries(
    operation.answers.flatMap((answer) => (answer.name ? [[answer.name, answer.status]] : [])),
  );
  return {
    status: 400,
    contentType: 'application/problem+json',
    headers: { 'content-type': 'application/problem+json' },
    body: {
      type: 'about:blank',
      title: asked.startsWith('status') ? 'Unknown status' : 'Unknown example',
      status: 400,
      detail: `${operation.method.toUpperCase()} ${operation.path} documents no ${asked}.`,
      examples,
    },
  };
}
