import { expect, it } from 'vitest';
import { databaseLabel, testDatabases } from '../support/database.ts';
import { type DocumentOperation, loadDocument, type ValidRequest } from '../support/documents.ts';
import { type FilePart, type FuzzRequest, type Prepared, runFuzz } from '../support/fuzz.ts';
import {
  type Divination,
  type EventReader,
  newRunId,
  newSession,
  openEvents,
  readUntil,
  runInput,
  type Session,
  startDivination,
} from './harness.ts';
import { png, wav } from './media.ts';

// The negative-input fuzz run against the divination server: every operation, each request wrong
// in one way (or valid, on fresh state), every answer documented for its operation, the events
// of a streamed run included. FUZZ_SEED=<n> picks other cases; a failure prints the seed and the
// requests that reproduce it.

const document = loadDocument('divination');

/** Users a case can borrow: a user may have only 3 run streams open at once. */
class Pool<T> {
  #free: T[];
  #waiting: ((item: T) => void)[] = [];

  constructor(items: T[]) {
    this.#free = [...items];
  }

  acquire(): Promise<T> {
    const item = this.#free.pop();
    return item === undefined
      ? new Promise((resolve) => this.#waiting.push(resolve))
      : Promise.resolve(item);
  }

  release(item: T) {
    const waiting = this.#waiting.shift();
    if (waiting) {
      waiting(item);
    } else {
      this.#free.push(item);
    }
  }
}

/** A user whose run streams cases open, with a finished reading of their own to resume. */
interface Streamer {
  session: Session;
  threadId: string;
  runId: string;
}

/** What the valid requests use: real users, a session, a tool call, a notification, files. */
interface Fixtures {
  d: Divination;
  /** Reads and changes what is theirs: profile, sessions, notifications, attachments. */
  reader: Session;
  /** The reader's session, with a finished reading. */
  threadId: string;
  /** The reader's tool call, approved and executed. */
  toolCallId: string;
  /** The reader's notification: a friend signed up with their invite code. */
  notificationId: string;
  /** The reader's attachment, in storage. */
  attachmentPath: string;
  /** Sets their avatar to `avatarPath`, uploaded through a signed URL (no other case moves it). */
  avatarOwner: Session;
  avatarPath: string;
  /** One per concurrent case at most: none reaches the open-stream limit. */
  streamers: Pool<Streamer>;
}

let phones = 0;

/** A phone no one has used: one code a minute a phone. */
const newPhone = () => `+86139${String(++phones).padStart(9, '0')}`;

/** An answer the fixtures need, or the reason they cannot be made. */
function expectStatus<T extends { status: number; body?: unknown }>(reply: T, status: number): T {
  if (reply.status !== status) {
    throw new Error(`expected ${status}, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply;
}

/** Runs an I Ching reading of a new session to its end: its thread and run ids. */
async function finishedReading(d: Divination, token: string) {
  const threadId = await newSession(d, token);
  const input = runInput(threadId);
  const stream = await openEvents(d, 'POST', '/agent/runs', { token, body: input });
  const events = await stream.rest();
  if (events.at(-1)?.data.type !== 'RUN_FINISHED') {
    throw new Error(`the reading did not finish: ${JSON.stringify(events)}`);
  }
  return { threadId, runId: input.runId };
}

/**
 * A tarot reading stopped at its tool call, waiting for the user's decision: the call's id, and
 * the rest of the stream, read to its end in the background.
 */
async function pendingToolCall(d: Divination, token: string) {
  const threadId = await newSession(d, token, 'tarot');
  const input = runInput(threadId, { method: 'tarot' });
  const stream: EventReader = await openEvents(d, 'POST', '/agent/runs', { token, body: input });
  if (stream.status !== 200) {
    throw new Error(`the tarot run was refused: ${JSON.stringify(stream.body)}`);
  }
  const events = await readUntil(stream, 'TOOL_CALL_END');
  const start = events.find((event) => event.data.type === 'TOOL_CALL_START');
  const toolCallId: string = start?.data.toolCallId;
  return { toolCallId, rest: stream.rest() };
}

/** Decides a call still pending (a case that did not decide it), so that its run ends. */
async function approveIfPending(d: Divination, token: string, toolCallId: string) {
  const call = await d.request('GET', `/agent/tool-calls/${toolCallId}`, { token });
  if (call.status === 202) {
    await d.request('POST', `/agent/tool-calls/${toolCallId}/approval`, {
      token,
      body: { approve: true },
    });
  }
}

/** Points for every run a user's cases start, whatever the sign-up grant. */
async function enoughPoints(d: Divination, users: Session[]) {
  const ids = users.map((user) => user.user.id as string);
  await d.db.updateTable('users').set({ balance: 1_000_000 }).where('id', 'in', ids).execute();
}

async function fixtures(d: Divination): Promise<Fixtures> {
  const [reader, avatarOwner] = [await d.signIn(newPhone()), await d.signIn(newPhone())];
  const token = reader.accessToken;
  const streamers = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const session = await d.signIn(newPhone());
      return { session, ...(await finishedReading(d, session.accessToken)) };
    }),
  );
  await enoughPoints(d, [reader, ...streamers.map((streamer) => streamer.session)]);
  const { threadId } = await finishedReading(d, token);

  const call = await pendingToolCall(d, token);
  expectStatus(
    await d.request('POST', `/agent/tool-calls/${call.toolCallId}/approval`, {
      token,
      body: { approve: true },
    }),
    200,
  );
  await call.rest;

  // A friend signs up with the reader's invite code: the reader is told.
  const invite = expectStatus(await d.request('GET', '/invite-code', { token }), 200);
  await d.signIn(newPhone(), { invite_code: invite.body.code });
  const notifications = expectStatus(await d.request('GET', '/notifications', { token }), 200);

  const form = new FormData();
  form.set('file', new Blob([png()], { type: 'image/png' }), 'card.png');
  const attachment = expectStatus(
    await d.request('POST', '/agent/attachments', { token, form }),
    201,
  );

  const owner = avatarOwner.accessToken;
  const target = expectStatus(
    await d.request('POST', '/profile/avatar/upload-url', {
      token: owner,
      body: { content_type: 'image/png', size_bytes: 64 },
    }),
    200,
  );
  const put = await fetch(target.body.upload_url, {
    method: 'PUT',
    headers: { 'content-type': 'image/png' },
    body: png(),
  });
  expectStatus({ status: put.status }, 201);

  return {
    d,
    reader,
    threadId,
    toolCallId: call.toolCallId,
    notificationId: notifications.body.items[0].id,
    attachmentPath: attachment.body.path,
    avatarOwner,
    avatarPath: target.body.path,
    streamers: new Pool(streamers),
  };
}

/** A new user's notification: a friend signed up with their invite code. */
async function freshNotification(d: Divination) {
  const inviter = await d.signIn(newPhone());
  const { invite_code } = await d.db
    .selectFrom('users')
    .select('invite_code')
    .where('id', '=', inviter.user.id)
    .executeTakeFirstOrThrow();
  await d.signIn(newPhone(), { invite_code });
  const { id } = await d.db
    .selectFrom('notifications')
    .select('id')
    .where('user_id', '=', inviter.user.id)
    .executeTakeFirstOrThrow();
  return { inviter, id };
}

const file = (bytes: Uint8Array, contentType: string, filename: string): FilePart => ({
  bytes,
  contentType,
  filename,
});

/** A request the operation accepts, sent by whoever may send it, on fresh state where needed. */
async function prepare(f: Fixtures, operation: DocumentOperation): Promise<Prepared> {
  const { d } = f;
  const { operationId } = operation;
  const base = document.validRequest(operationId);
  const path = { ...base.params.path };
  const query = { ...base.params.query };
  const body = structuredClone(base.body) as Record<string, unknown> | undefined;
  const request: ValidRequest = { ...base, headers: {}, params: { path, query }, body };
  const as = (session: Session, release?: () => Promise<void>): Prepared => ({
    request,
    authorize: (built: FuzzRequest) => ({
      ...built,
      headers: { ...built.headers, authorization: `Bearer ${session.accessToken}` },
    }),
    release,
  });
  switch (operationId) {
    case 'requestOtp':
      request.body = { phone: newPhone() };
      return { request };
    case 'signIn': {
      const phone = newPhone();
      expectStatus(await d.request('POST', '/auth/otp', { body: { phone } }), 204);
      request.body = { phone, code: d.authProvider.codes.get(phone) };
      return { request };
    }
    case 'refreshTokens':
    case 'signOut':
      // A refresh token is used once.
      request.body = { refresh_token: (await d.signIn(newPhone())).refreshToken };
      return { request };
    case 'deleteAccount':
      return as(await d.signIn(newPhone()));
    case 'getSession':
    case 'listSessionMessages':
      path.threadId = f.threadId;
      return as(f.reader);
    case 'deleteSession':
      path.threadId = await newSession(d, f.reader.accessToken);
      return as(f.reader);
    case 'getToolCall':
      path.toolCallId = f.toolCallId;
      return as(f.reader);
    case 'markNotificationRead':
      path.notificationId = f.notificationId;
      return as(f.reader);
    case 'deleteNotification': {
      const { inviter, id } = await freshNotification(d);
      path.notificationId = id;
      return as(inviter);
    }
    case 'signAttachmentUrl':
      request.body = { bucket: 'attachments', path: f.attachmentPath };
      return as(f.reader);
    case 'setAvatar':
      request.body = { path: f.avatarPath };
      return as(f.avatarOwner);
    case 'transcribeAudio':
      request.body = { file: file(wav(800), 'audio/wav', 'question.wav'), language: 'zh' };
      return as(f.reader);
    case 'uploadAttachment':
    case 'uploadAvatar':
      request.body = { file: file(png(), 'image/png', 'card.png') };
      return as(f.reader);
    case 'runAgent':
    case 'resumeRun':
    case 'decideToolCall':
      return streamed(f, operationId, request);
    default:
      return as(f.reader);
  }
}

/** The cases whose answer or fixture is a run stream, each by a streamer of its own. */
async function streamed(f: Fixtures, operationId: string, request: ValidRequest) {
  const { d } = f;
  const streamer = await f.streamers.acquire();
  const { session } = streamer;
  const token = session.accessToken;
  let release = async () => f.streamers.release(streamer);
  try {
    if (operationId === 'runAgent') {
      // A session's first message: a fresh session each, and a run id never used.
      const threadId = await newSession(d, token);
      request.body = { ...(request.body as object), threadId, runId: newRunId() };
    } else if (operationId === 'resumeRun') {
      request.params.path.threadId = streamer.threadId;
      request.params.query.runId = streamer.runId;
    } else {
      const call = await pendingToolCall(d, token);
      request.params.path.toolCallId = call.toolCallId;
      release = async () => {
        try {
          await approveIfPending(d, token, call.toolCallId);
          await call.rest;
        } finally {
          f.streamers.release(streamer);
        }
      };
    }
  } catch (error) {
    await release();
    throw error;
  }
  return {
    request,
    authorize: (built: FuzzRequest) => ({
      ...built,
      headers: { ...built.headers, authorization: `Bearer ${token}` },
    }),
    release,
  };
}

/** The fuzz run on each database, named `divination`, `divination on PostgreSQL`. */
const runs = testDatabases.map(
  (database) =>
    [
      database === 'sqlite' ? 'divination' : `divination on ${databaseLabel[database]}`,
      database,
    ] as const,
);

it.each(runs)(
  '%s fuzz: every answer is documented for its operation',
  async (label, database) => {
    const d = await startDivination({ database });
    try {
      // Readings stream at once: a run's stream is read to its end.
      d.llm.setChunkDelay(1);
      const f = await fixtures(d);
      const result = await runFuzz({
        label,
        service: 'divination',
        origin: d.origin,
        prepare: (operation) => prepare(f, operation),
      });
      expect(result.distinct).toBeGreaterThanOrEqual(3000);
      expect(result.undocumented, result.report).toBe(0);
      // Every stream ended with its case: none holds a place.
      const held = await d.db.selectFrom('stream_leases').selectAll().execute();
      expect(held).toEqual([]);
    } finally {
      await d.close();
    }
  },
  120_000,
);
