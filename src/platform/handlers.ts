import type { IncomingHttpHeaders } from 'node:http';
import type { StreamEvent } from './event-stream.ts';
import type { ReceivedFile } from './uploads.ts';

/** The shape openapi-typescript generates for one operation (`operations['getTask']`). */
export interface OperationTypes {
  parameters: { query?: unknown; header?: unknown; path?: unknown; cookie?: unknown };
  requestBody?: unknown;
  responses: object;
}

type SuccessStatus = 200 | 201 | 202 | 204;
type Content<Response> = Response extends { content: infer C } ? C : never;

/** The answer for one content type: JSON (the default), a server-sent-event stream, or bytes. */
type Answer<Type, Body> = Type extends 'application/json'
  ? { body: Body; contentType?: Type }
  : Type extends 'text/event-stream'
    ? { events: AsyncIterable<StreamEvent>; contentType: Type }
    : { body: Body | Uint8Array; contentType: Type };

/** One documented answer: the status, the body of one of its content types, extra headers. */
type ReplyFor<Status, Response> = [Content<Response>] extends [never]
  ? { status: Status; headers?: Record<string, string> }
  : {
      [Type in keyof Content<Response>]: {
        status: Status;
        headers?: Record<string, string>;
      } & Answer<Type, Content<Response>[Type]>;
    }[keyof Content<Response>];

/** Every success answer an operation documents, so a handler cannot answer off-contract. */
export type Reply<Op extends OperationTypes> = {
  [Status in keyof Op['responses'] & SuccessStatus]: ReplyFor<Status, Op['responses'][Status]>;
}[keyof Op['responses'] & SuccessStatus];

type Body<Op> = Op extends { requestBody: { content: infer C } } ? C[keyof C] : undefined;
type Params<P> = [P] extends [never] | [undefined] ? Record<string, never> : NonNullable<P>;

/** What a handler gets: the validated request and who sent it. */
export interface Context<Op extends OperationTypes, Auth> {
  params: Params<Op['parameters']['path']>;
  query: Params<Op['parameters']['query']>;
  body: Body<Op>;
  /** The request's headers, lower-case, as sent (the documented ones validated). */
  headers: IncomingHttpHeaders;
  /** The files of a multipart request, read within the operation's limits; empty for any other. */
  files: ReceivedFile[];
  /** The authenticated caller; `null` only for operations whose `security` is empty. */
  auth: Auth | null;
  /** The request's path, base path included, without its query: `/task-market/tasks/…`. */
  path: string;
  /** Aborted when the client goes away: stop work only it was waiting for (a stream). */
  signal: AbortSignal;
  requestId: string;
}

/** One handler per operationId of a service's generated `operations`. */
export type Handlers<Operations, Auth> = {
  [Id in keyof Operations]: Operations[Id] extends OperationTypes
    ? (context: Context<Operations[Id], Auth>) => Promise<Reply<Operations[Id]>>
    : never;
};

/** Any answer, as the platform sends it. */
export interface AnyReply {
  status: number;
  body?: unknown;
  events?: AsyncIterable<StreamEvent>;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Any handler, as the router calls it. */
export type AnyHandler<Auth> = (context: Context<OperationTypes, Auth>) => Promise<AnyReply>;
