import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { catalog } from '../../generated/divination/errors.ts';
import { catalogEntryUrl } from '../../src/catalog/envelopes.js';
import { createTokens } from '../../src/platform/tokens.ts';
import { databaseLabel, type TestDatabase, testDatabases } from '../support/database.ts';
import { loadDocument, type Pair } from '../support/documents.ts';
import {
  type Divination,
  type DivinationOptions,
  type EventReader,
  newRunId,
  newSession,
  openEvents,
  type Reply,
  type RequestOptions,
  readUntil,
  runInput,
  type Session,
  startDivination,
} from './harness.ts';
import { fileForm, png, wav } from './media.ts';

// The contract matrix: every (operation, code) pair of the divination document, reached on the
// real server through a real condition — bad input, a token missing, expired or forged, a deleted
// account, another user's session or file, a limit, the auth provider or the ASR failing, the
// storage directory unusable or gone, a damaged database.

const document = loadDocument('divination');

/** A request of one operation: its method, its path under /divination, what it sends. */
interface Call extends RequestOptions {
  method: string;
  path: string;
}

/**
 * The world a request is made in: `a` sends it, `c` is someone else, whose sessions, files and
 * notifications are not a's (and a's are not theirs); run streams left open are closed at the end.
 */
interface World {
  dv: Divination;
  a: Session;
  c: Session;
  streams: EventReader[];
}

async function world(options: DivinationOptions): Promise<World> {
  const dv = await startDivination(options);
  dv.llm.setChunkDelay(1);
  return { dv, a: await dv.signIn(), c: await dv.signIn(), streams: [] };
}

async function close(w: World) {
  for (const stream of w.streams) {
    stream.close();
  }
  await w.dv.close();
}

const send = (w: World, call: Call) => w.dv.request(call.method, call.path, call);

/** Sends a call that must succeed: its answer. */
async function ok(w: World, call: Call): Promise<Reply> {
  const reply = await send(w, call);
  expect(reply.status, `${call.method} ${call.path}: ${JSON.stringify(reply.body)}`).toBeLessThan(
    300,
  );
  return reply;
}

/** Polls until the user's run streams have all given their places back. */
async function streamsReleased(w: World, userId: string) {
  for (let attempt = 0; attempt < 150; attempt += 1) {
    const held = await w.dv.db
      .selectFrom('stream_leases')
      .select('id')
      .where('user_id', '=', userId)
      .execute();
    if (held.length === 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the stream places were never given back');
}

/** A run of `session` streamed to its end, which must be RUN_FINISHED. */
async function runToEnd(w: World, session: Session, input: ReturnType<typeof runInput>) {
  const stream = await openEvents(w.dv, 'POST', '/agent/runs', {
    token: session.accessToken,
    body: input,
  });
  expect(stream.status, JSON.stringify(stream.body)).toBe(200);
  const events = await stream.rest();
  expect(events.at(-1)?.data.type).toBe('RUN_FINISHED');
  await streamsReleased(w, session.user.id);
}

/** A tarot reading of `session` waiting for its tool call's approval, its stream open. */
async function waitingTarot(w: World, session: Session) {
  const threadId = await newSession(w.dv, session.accessToken, 'tarot');
  const stream = await openEvents(w.dv, 'POST', '/agent/runs', {
    token: session.accessToken,
    body: runInput(threadId, { method: 'tarot' }),
  });
  w.streams.push(stream);
  expect(stream.status, JSON.stringify(stream.body)).toBe(200);
  const events = await readUntil(stream, 'TOOL_CALL_END');
  return { threadId, callId: events.at(-1)?.data.toolCallId as string };
}

/** An image attachment `session` uploaded: its path and signed URL. */
async function attachment(w: World, session: Session): Promise<{ path: string; url: string }> {
  const reply = await ok(w, {
    method: 'POST',
    path: '/agent/attachments',
    token: session.accessToken,
    form: fileForm(png(), 'image/png', 'card.png'),
  });
  return reply.body;
}

/** An avatar `session` uploaded to a signed upload URL: its path. */
async function uploadedAvatar(w: World, session: Session): Promise<string> {
  const target = await ok(w, {
    method: 'POST',
    path: '/profile/avatar/upload-url',
    token: session.accessToken,
    body: { content_type: 'image/png', size_bytes: 64 },
  });
  const put = await fetch(target.body.upload_url, {
    method: 'PUT',
    headers: { 'content-type': 'image/png' },
    body: png(),
  });
  expect(put.status).toBe(201);
  return target.body.path;
}

/** The user deletes their account; their access token lives on for its few minutes. */
async function deleteAccount(w: World, session: Session) {
  await ok(w, { method: 'DELETE', path: '/profile', token: session.accessToken });
}

/** The storage's directory made unusable (a file in its place), or gone (an unmounted volume). */
function breakStorage(w: World, how: 'file' | 'gone') {
  const directory = w.dv.storageDirectory;
  renameSync(directory, `${directory}.aside`);
  if (how === 'file') {
    writeFileSync(directory, 'not a directory');
  }
}

/**
 * A token the service's own secret signed for a subject that is no user id of ours (an operator
 * tool's, sharing the secret): authenticated, but naming no user.
 */
async function operatorToken(w: World): Promise<string> {
  const { value } = await w.dv.db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'secret')
    .executeTakeFirstOrThrow();
  const tokens = createTokens({
    secret: Buffer.from(value, 'hex'),
    issuer: 'api-contracts/divination',
    audience: 'divination',
    ttlSeconds: 900,
    clock: w.dv.clock,
  });
  return (await tokens.issue('operator')).token;
}

/** A notification of `a`: a friend signed up with a's invite code. Its id. */
async function notification(w: World): Promise<string> {
  const invite = await ok(w, { method: 'GET', path: '/invite-code', token: w.a.accessToken });
  await w.dv.signIn(undefined, { invite_code: invite.body.code });
  const list = await ok(w, { method: 'GET', path: '/notifications', token: w.a.accessToken });
  return list.body.items[0].id;
}

/** A new phone, texted a code: the sign-in it makes. */
async function textedPhone(w: World, phone: string) {
  await ok(w, { method: 'POST', path: '/auth/otp', body: { phone } });
  return { phone, code: w.dv.authProvider.codes.get(phone) as string };
}

let phones = 0;
const newPhone = () => `+861390000${String(++phones).padStart(4, '0')}`;

const sessionPath = (w: World, threadId: string, rest = '') => ({
  token: w.a.accessToken,
  path: `/agent/sessions/${threadId}${rest}`,
});

/** A request each operation succeeds with, sent by `a`. */
const valid: Record<string, (w: World) => Promise<Call>> = {
  requestOtp: async () => ({ method: 'POST', path: '/auth/otp', body: { phone: newPhone() } }),
  signIn: async (w) => ({
    method: 'POST',
    path: '/auth/sign-in',
    body: await textedPhone(w, newPhone()),
  }),
  refreshTokens: async (w) => ({
    method: 'POST',
    path: '/auth/refresh',
    body: { refresh_token: w.a.refreshToken },
  }),
  signOut: async (w) => ({
    method: 'POST',
    path: '/auth/sign-out',
    body: { refresh_token: w.a.refreshToken },
  }),
  getCurrentUser: async (w) => ({ method: 'GET', path: '/auth/me', token: w.a.accessToken }),
  getPoints: async (w) => ({ method: 'GET', path: '/points', token: w.a.accessToken }),
  listSessions: async (w) => ({ method: 'GET', path: '/agent/sessions', token: w.a.accessToken }),
  createSession: async (w) => ({
    method: 'POST',
    path: '/agent/sessions',
    token: w.a.accessToken,
    body: { method: 'iching' },
  }),
  getSession: async (w) => ({
    method: 'GET',
    ...sessionPath(w, await newSession(w.dv, w.a.accessToken)),
  }),
  deleteSession: async (w) => ({
    method: 'DELETE',
    ...sessionPath(w, await newSession(w.dv, w.a.accessToken)),
  }),
  listSessionMessages: async (w) => ({
    method: 'GET',
    ...sessionPath(w, await newSession(w.dv, w.a.accessToken), '/messages'),
  }),
  runAgent: async (w) => ({
    method: 'POST',
    path: '/agent/runs',
    token: w.a.accessToken,
    body: runInput(await newSession(w.dv, w.a.accessToken)),
  }),
  resumeRun: async (w) => {
    const threadId = await newSession(w.dv, w.a.accessToken);
    const input = runInput(threadId);
    await runToEnd(w, w.a, input);
    return { method: 'GET', ...sessionPath(w, threadId, `/events?runId=${input.runId}`) };
  },
  getToolCall: async (w) => ({
    method: 'GET',
    path: `/agent/tool-calls/${(await waitingTarot(w, w.a)).callId}`,
    token: w.a.accessToken,
  }),
  decideToolCall: async (w) => ({
    method: 'POST',
    path: `/agent/tool-calls/${(await waitingTarot(w, w.a)).callId}/approval`,
    token: w.a.accessToken,
    body: { approve: true },
  }),
  transcribeAudio: async (w) => ({
    method: 'POST',
    path: '/agent/audio/transcriptions',
    token: w.a.accessToken,
    form: fileForm(wav(500), 'audio/wav', 'question.wav'),
  }),
  uploadAttachment: async (w) => ({
    method: 'POST',
    path: '/agent/attachments',
    token: w.a.accessToken,
    form: fileForm(png(), 'image/png', 'card.png'),
  }),
  signAttachmentUrl: async (w) => ({
    method: 'POST',
    path: '/agent/attachments/signed-urls',
    token: w.a.accessToken,
    body: { bucket: 'attachments', path: (await attachment(w, w.a)).path },
  }),
  getProfile: async (w) => ({ method: 'GET', path: '/profile', token: w.a.accessToken }),
  updateProfile: async (w) => ({
    method: 'PATCH',
    path: '/profile',
    token: w.a.accessToken,
    body: { nickname: '星河' },
  }),
  deleteAccount: async (w) => ({ method: 'DELETE', path: '/profile', token: w.a.accessToken }),
  createAvatarUploadUrl: async (w) => ({
    method: 'POST',
    path: '/profile/avatar/upload-url',
    token: w.a.accessToken,
    body: { content_type: 'image/png', size_bytes: 64 },
  }),
  uploadAvatar: async (w) => ({
    method: 'POST',
    path: '/profile/avatar',
    token: w.a.accessToken,
    form: fileForm(png(), 'image/png', 'me.png'),
  }),
  setAvatar: async (w) => ({
    method: 'PUT',
    path: '/profile/avatar',
    token: w.a.accessToken,
    body: { path: await uploadedAvatar(w, w.a) },
  }),
  listNotifications: async (w) => ({
    method: 'GET',
    path: '/notifications',
    token: w.a.accessToken,
  }),
  markNotificationRead: async (w) => ({
    method: 'POST',
    path: `/notifications/${await notification(w)}/read`,
    token: w.a.accessToken,
  }),
  deleteNotification: async (w) => ({
    method: 'DELETE',
    path: `/notifications/${await notification(w)}`,
    token: w.a.accessToken,
  }),
  getInviteCode: async (w) => ({ method: 'GET', path: '/invite-code', token: w.a.accessToken }),
};

type RunBody = ReturnType<typeof runInput>;
const runBody = (call: Call) => call.body as RunBody;
/** The run's body with `props` merged into its forwardedProps. */
const withProps = (call: Call, props: Record<string, unknown>): Call => ({
  ...call,
  body: { ...runBody(call), forwardedProps: { ...runBody(call).forwardedProps, ...props } },
});
const attached = (call: Call, ...urls: string[]) =>
  withProps(call, { attachments: urls.map((url) => ({ url, content_type: 'image/png' })) });
/** The thread a call is about: in its path, or in its run's body. */
const threadOf = (call: Call) =>
  /\/agent\/sessions\/([^/?]+)/.exec(call.path)?.[1] ?? runBody(call).threadId;
/** The call about another thread id. */
const onThread = (call: Call, threadId: string): Call =>
  call.path.startsWith('/agent/sessions/')
    ? {
        ...call,
        path: call.path.replace(/^\/agent\/sessions\/[^/?]+/, `/agent/sessions/${threadId}`),
      }
    : { ...call, body: { ...runBody(call), threadId } };
const withBody = (call: Call, fields: Record<string, unknown>): Call => ({
  ...call,
  body: { ...(call.body as object), ...fields },
});
const withQuery = (call: Call, query: string): Call => ({
  ...call,
  path: `${call.path}${call.path.includes('?') ? '&' : '?'}${query}`,
});
const toolCallPath = (call: Call) => call.path.replace(/\/approval$/, '');

type Change = (call: Call, w: World, pair: Pair) => Promise<Call> | Call;
type Scenario = (
  pair: Pair,
  database: TestDatabase,
) => Promise<{ w: World; call: Call; reply: Reply }>;

/** Makes a world, prepares the operation's valid request, changes something, sends it. */
function scenario(change: Change, options: Omit<DivinationOptions, 'database'> = {}): Scenario {
  return async (pair, database) => {
    const w = await world({ ...options, database });
    try {
      const call = await (valid[pair.operationId] as (w: World) => Promise<Call>)(w);
      const changed = await change(call, w, pair);
      return { w, call: changed, reply: await send(w, changed) };
    } catch (error) {
      await close(w);
      throw error;
    }
  };
}

/** A scenario that depends on the operation. */
function byOperation(scenarios: Record<string, Scenario>): Scenario {
  return (pair, database) => {
    const run = scenarios[pair.operationId];
    if (!run) {
      throw new Error(`no scenario reaches ${pair.code} on ${pair.operationId}`);
    }
    return run(pair, database);
  };
}

/** The same change for each of `operations`. */
const each = (operations: string[], change: Change) =>
  Object.fromEntries(operations.map((operationId) => [operationId, scenario(change)]));

const unknownQuery: Change = (call) => withQuery(call, 'unexpected=1');
const deleted: Change = async (call, w) => {
  await deleteAccount(w, w.a);
  return call;
};
/** Storage made unusable before the call. */
const storage =
  (how: 'file' | 'gone'): Change =>
  (call, w) => {
    breakStorage(w, how);
    return call;
  };

/** The operations that tell a deleted account apart (404) rather than refuse its token (401). */
const tellGone = [
  'getCurrentUser',
  'getProfile',
  'updateProfile',
  'uploadAvatar',
  'setAvatar',
  'getInviteCode',
];
/** Credentials that stand for no one: none, expired, forged, or a deleted account's. */
const unauthorized: Change[] = [
  (call) => ({ ...call, token: undefined }),
  (call, w) => {
    w.dv.clock.advance(901);
    return call;
  },
  (call) => ({ ...call, token: undefined, headers: { authorization: 'Bearer not.a.token' } }),
  deleted,
];

const scenarios: Record<string, Scenario> = {
  REQUEST_VALIDATION_ERROR: byOperation({
    requestOtp: scenario((call) => withBody(call, { phone: '13800138000' })),
    signIn: scenario((call) => ({
      ...call,
      body: { phone: (call.body as { phone: string }).phone },
    })),
    refreshTokens: scenario((call) => ({ ...call, body: {} })),
    signOut: scenario((call) => ({ ...call, body: undefined, raw: '{"refresh_token": ' })),
    ...each(
      ['getCurrentUser', 'getPoints', 'getProfile', 'deleteAccount', 'getInviteCode'],
      unknownQuery,
    ),
    ...each(['listSessions', 'listNotifications'], (call) => withQuery(call, 'limit=51')),
    createSession: scenario((call) => withBody(call, { method: 'runes' })),
    ...each(['getSession', 'deleteSession', 'listSessionMessages'], (call) =>
      onThread(call, 'not-a-thread'),
    ),
    runAgent: scenario((call) => withBody(call, { messages: [] })),
    resumeRun: scenario((call) => ({
      ...call,
      path: call.path.replace(/runId=.*/, 'runId=run_x'),
    })),
    // A tool call of someone else's is as unknown as one that is not there.
    getToolCall: scenario((call, w) => ({ ...call, token: w.c.accessToken })),
    decideToolCall: scenario((call) => withBody(call, { approve: 'yes' })),
    ...each(['transcribeAudio', 'uploadAttachment', 'uploadAvatar'], (call) => {
      const form = new FormData();
      form.set('language', 'zh');
      return { ...call, form };
    }),
    signAttachmentUrl: scenario((call) => withBody(call, { expires_in: 59 })),
    updateProfile: scenario((call) => withBody(call, { nickname: 'x'.repeat(33) })),
    createAvatarUploadUrl: scenario((call) => withBody(call, { size_bytes: 0 })),
    setAvatar: scenario((call) => ({ ...call, body: {} })),
    ...each(['markNotificationRead', 'deleteNotification'], (call) => ({
      ...call,
      path: call.path.replace(/ntf_[^/]+/, 'not-an-id'),
    })),
  }),
  AUTH_TOO_MANY_REQUESTS: byOperation({
    // A second code for the phone within the minute.
    requestOtp: scenario(async (call, w) => {
      await ok(w, call);
      return call;
    }),
    // Five wrong codes: the provider takes no more tries for a while, the right code included.
    signIn: scenario(async (call, w) => {
      const { phone, code } = call.body as { phone: string; code: string };
      const wrong = code === '000000' ? '111111' : '000000';
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const refused = await send(w, { ...call, body: { phone, code: wrong } });
        expect(refused.body.code).toBe('AUTH_VERIFICATION_CODE_INVALID');
      }
      return call;
    }),
  }),
  AUTH_SERVICE_UNAVAILABLE: byOperation({
    requestOtp: scenario((call, w) => {
      w.dv.authProvider.setMode('failing');
      return call;
    }),
    // Past the provider's timeout.
    signIn: scenario((call, w) => {
      w.dv.authProvider.setMode('slow');
      return call;
    }),
    refreshTokens: scenario((call, w) => {
      w.dv.authProvider.setMode('failing');
      return call;
    }),
  }),
  AUTH_VERIFICATION_CODE_INVALID: scenario((call) => {
    const { phone, code } = call.body as { phone: string; code: string };
    return { ...call, body: { phone, code: code === '000000' ? '111111' : '000000' } };
  }),
  AUTH_USER_NOT_FOUND: byOperation({
    // A code texted to the account's phone, then the account deleted before it is entered.
    signIn: scenario(async (call, w) => {
      w.dv.clock.advance(61);
      const texted = await textedPhone(w, w.a.phone);
      await deleteAccount(w, w.a);
      return { ...call, body: texted };
    }),
    getCurrentUser: scenario(deleted),
  }),
  AUTH_REFRESH_TOKEN_INVALID: byOperation({
    // Used once already: someone else has a copy.
    refreshTokens: scenario(async (call, w) => {
      await ok(w, call);
      return call;
    }),
    // Its sign-in ended already.
    signOut: scenario(async (call, w) => {
      await ok(w, call);
      return call;
    }),
  }),
  AUTH_REFRESH_TOKEN_MISSING: scenario((call) => ({ ...call, body: {} })),
  AUTH_UNAUTHORIZED: (pair, database) => {
    const secured = document.pairs
      .filter((each) => each.code === 'AUTH_UNAUTHORIZED')
      .map((each) => each.operationId);
    const index = secured.indexOf(pair.operationId) % unauthorized.length;
    const variant = index === 3 && tellGone.includes(pair.operationId) ? 0 : index;
    return scenario(unauthorized[variant] as Change)(pair, database);
  },
  INTERNAL_ERROR: scenario(async (call, w, pair) => {
    // A damaged schema: the table the operation reads first is gone.
    const table = pair.operationId === 'signOut' ? 'refresh_tokens' : 'users';
    await sql`alter table ${sql.table(table)} rename to ${sql.table(`${table}_damaged`)}`.execute(
      w.dv.db,
    );
    return call;
  }),
  AGENT_USER_ID_INVALID: scenario(async (call, w) => ({ ...call, token: await operatorToken(w) })),
  AGENT_SESSION_ID_INVALID: scenario((call) => onThread(call, 'thr_01JD7K3V9Q')),
  AGENT_SESSION_NOT_FOUND: scenario(async (call, w) => {
    await ok(w, { method: 'DELETE', ...sessionPath(w, threadOf(call)) });
    return call;
  }),
  AGENT_FORBIDDEN: scenario((call, w) => ({ ...call, token: w.c.accessToken })),
  AGENT_RUN_INPUT_INVALID: scenario((call) =>
    withBody(call, { tools: [{ description: 'A tool without a name' }] }),
  ),
  AGENT_RUN_MESSAGES_INVALID: scenario((call) =>
    withBody(call, {
      messages: [...runBody(call).messages, { id: 'm_2', role: 'assistant', content: 'Hello.' }],
    }),
  ),
  // A follow-up before the session's reading.
  AGENT_RUNTIME_MODE_INVALID: scenario((call) => ({
    ...call,
    body: runInput(runBody(call).threadId, { mode: 'follow_up' }),
  })),
  AGENT_DIVINATION_PAYLOAD_REQUIRED: scenario((call) =>
    withProps(call, { divinationPayload: undefined }),
  ),
  // A tarot reading on an I Ching session.
  AGENT_PAYLOAD_INVALID: scenario((call) => ({
    ...call,
    body: runInput(runBody(call).threadId, { method: 'tarot' }),
  })),
  AGENT_ATTACHMENTS_TOO_MANY: scenario(async (call, w) => {
    const urls: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      urls.push((await attachment(w, w.a)).url);
    }
    return attached(call, ...urls);
  }),
  AGENT_SIGNED_IMAGE_URL_INVALID: scenario(async (call, w) => {
    const { path } = await attachment(w, w.a);
    const signed = await ok(w, {
      method: 'POST',
      path: '/agent/attachments/signed-urls',
      token: w.a.accessToken,
      body: { bucket: 'attachments', path, expires_in: 60 },
    });
    w.dv.clock.advance(61);
    return attached(call, signed.body.url);
  }),
  INVALID_BINARY_URL_HOST: scenario((call) =>
    attached(call, 'https://cdn.example.net/u_8f2k/cards/1.png'),
  ),
  // The user's avatar, attached as an image.
  INVALID_BINARY_URL_BUCKET: scenario(async (call, w) => {
    const avatar = await ok(w, {
      method: 'POST',
      path: '/profile/avatar',
      token: w.a.accessToken,
      form: fileForm(png(), 'image/png', 'me.png'),
    });
    return attached(call, avatar.body.avatar_url);
  }),
  INVALID_BINARY_URL_PATH_SCOPE: scenario(async (call, w) =>
    attached(call, (await attachment(w, w.c)).url),
  ),
  // A reading, its follow-up, then one more.
  AGENT_SESSION_RUN_LIMIT_EXCEEDED: scenario(async (call, w) => {
    const { threadId } = runBody(call);
    await runToEnd(w, w.a, runInput(threadId));
    await runToEnd(w, w.a, runInput(threadId, { mode: 'follow_up', question: 'When?' }));
    return { ...call, body: runInput(threadId, { mode: 'follow_up', question: 'And then?' }) };
  }),
  // Three tarot readings waiting for their approvals, their streams open.
  AGENT_SSE_CONNECTION_LIMIT: scenario(async (call, w) => {
    for (let index = 0; index < 3; index += 1) {
      await waitingTarot(w, w.a);
    }
    return call;
  }),
  // The readings the sign-up points paid for, all taken.
  POINTS_INSUFFICIENT_BALANCE: scenario(async (call, w) => {
    for (let index = 0; index < 10; index += 1) {
      await runToEnd(w, w.a, runInput(await newSession(w.dv, w.a.accessToken)));
    }
    return call;
  }),
  // A tarot reading whose cast names no spread: draw_tarot_card has no `spread` to be called with.
  MISSING_RUNTIME_ARGS: scenario(async (call, w) => {
    const threadId = await newSession(w.dv, w.a.accessToken, 'tarot');
    const question = 'Will the move go well?';
    return {
      ...call,
      body: runInput(threadId, {
        method: 'tarot',
        question,
        forwardedProps: {
          divinationPayload: { method: 'tarot', question, cast: { cards: ['The Sun'] } },
        },
      }),
    };
  }),
  AGENT_INVALID_RUN_ID: scenario((call) => ({
    ...call,
    path: call.path.replace(/runId=.*/, `runId=${newRunId()}`),
  })),
  // One past the run's last event.
  AGENT_INVALID_LAST_EVENT_ID: scenario(async (call, w) => {
    const runId = new URL(call.path, 'http://x').searchParams.get('runId') as string;
    const { seq } = await w.dv.db
      .selectFrom('run_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    return { ...call, headers: { 'last-event-id': String(Number(seq) + 1) } };
  }),
  TOOL_PENDING_APPROVAL: scenario((call) => call),
  TOOL_REJECTED: scenario(async (call, w) => {
    await ok(w, {
      method: 'POST',
      path: `${toolCallPath(call)}/approval`,
      token: w.a.accessToken,
      body: { approve: false },
    });
    return call;
  }),
  AGENT_AUDIO_UNSUPPORTED_FORMAT: scenario((call) => ({
    ...call,
    form: fileForm(
      Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000'),
      'audio/mpeg',
      'q.mp3',
    ),
  })),
  // Over 10 MiB: 655.4 s of 8 kHz 16-bit audio.
  AGENT_AUDIO_TOO_LARGE: scenario((call) => ({
    ...call,
    form: fileForm(wav(655_400), 'audio/wav', 'long.wav'),
  })),
  AGENT_AUDIO_EMPTY: scenario((call) => ({
    ...call,
    form: fileForm(new Uint8Array(), 'audio/wav', 'empty.wav'),
  })),
  AGENT_ASR_UNAVAILABLE: scenario((call, w) => {
    w.dv.asr.setMode('failing');
    return call;
  }),
  AGENT_ATTACHMENT_EMPTY: scenario((call) => ({
    ...call,
    form: fileForm(new Uint8Array(), 'image/png', 'empty.png'),
  })),
  AGENT_ATTACHMENT_TOO_LARGE: scenario((call) => ({
    ...call,
    form: fileForm(png(5 * 1024 * 1024 + 1), 'image/png', 'large.png'),
  })),
  AGENT_ATTACHMENT_UNSUPPORTED_TYPE: scenario((call) => ({
    ...call,
    form: fileForm(Buffer.from('PK\u0003\u0004archive'), 'application/zip', 'cards.zip'),
  })),
  AGENT_ATTACHMENT_UPLOAD_FAILED: scenario(storage('file')),
  AGENT_ATTACHMENT_STORAGE_UNAVAILABLE: scenario(storage('gone')),
  AGENT_ATTACHMENT_BUCKET_INVALID: scenario((call) => withBody(call, { bucket: 'public-assets' })),
  AGENT_ATTACHMENT_PATH_SCOPE_INVALID: scenario(async (call, w) =>
    withBody(call, { path: (await attachment(w, w.c)).path }),
  ),
  // The attachment's file lost from the storage: nothing there to sign a URL to.
  AGENT_SIGNED_URL_GENERATION_FAILED: scenario((call, w) => {
    const { path } = call.body as { path: string };
    rmSync(join(w.dv.storageDirectory, ...path.split('/')));
    return call;
  }),
  PROFILE_PAYLOAD_INVALID: scenario((call) => withBody(call, { nickname: '   ' })),
  PROFILE_NOT_FOUND: scenario(deleted),
  PROFILE_DELETE_FAILED: scenario(storage('file')),
  AVATAR_FILE_INVALID: byOperation({
    createAvatarUploadUrl: scenario((call) => withBody(call, { content_type: 'image/gif' })),
    uploadAvatar: scenario((call) => ({
      ...call,
      form: fileForm(Buffer.from('GIF89a\u0001\u0000\u0001\u0000'), 'image/gif', 'me.gif'),
    })),
    // An upload URL given, but nothing uploaded to it.
    setAvatar: scenario(async (call, w) => {
      const target = await ok(w, {
        method: 'POST',
        path: '/profile/avatar/upload-url',
        token: w.a.accessToken,
        body: { content_type: 'image/png', size_bytes: 64 },
      });
      return withBody(call, { path: target.body.path });
    }),
  }),
  AVATAR_PATH_SCOPE_INVALID: scenario(async (call, w) =>
    withBody(call, { path: await uploadedAvatar(w, w.c) }),
  ),
  AVATAR_SIGNED_URL_FAILED: scenario(storage('gone')),
  AVATAR_UPLOAD_FAILED: scenario(storage('file')),
  NOTIFICATION_NOT_FOUND: byOperation({
    // Someone else's.
    markNotificationRead: scenario((call, w) => ({ ...call, token: w.c.accessToken })),
    // Deleted already.
    deleteNotification: scenario(async (call, w) => {
      await ok(w, call);
      return call;
    }),
  }),
  INVITE_CODE_NOT_FOUND: scenario(deleted),
};

const entries = new Map(catalog.errors.map((entry) => [entry.name as string, entry]));

describe.each(testDatabases)(
  'divination server on %s: every documented (operation, code) pair',
  (database) => {
    const passed: string[] = [];
    afterAll(() => {
      const line = `divination server on ${databaseLabel[database]}`;
      process.stdout.write(`\n${line}: ${passed.length}/${document.pairs.length} pairs\n`);
    });

    it.each(document.pairs)('$operationId answers $code', async (pair) => {
      const entry = entries.get(pair.code);
      const run = scenarios[pair.code];
      expect(entry, `${pair.code} in the catalog`).toBeDefined();
      expect(run, `a scenario for ${pair.code}`).toBeDefined();
      const { w, call, reply } = await (run as Scenario)(pair, database);
      try {
        const { status, contentType, body } = reply;
        expect({ status, code: body?.code }, JSON.stringify(body)).toEqual({
          status: entry?.status,
          code: entry?.name,
        });
        if (entry?.surface === 'body') {
          // A status answer, not a problem: its code and message in a JSON body.
          expect(contentType).toContain('application/json');
          expect(body.message).toBe(entry.message.en);
        } else {
          expect(contentType).toContain(catalog.wire.contentType);
          expect(body).toMatchObject({
            type: catalogEntryUrl(catalog, entry as NonNullable<typeof entry>),
            title: entry?.message.en,
            status: entry?.status,
            instance: `/divination${call.path.split('?')[0]}`,
          });
          expect(body.type).toMatch(new RegExp(`#${pair.code}$`));
        }
        expect(document.validate(pair.operationId, status, contentType, body)).toEqual([]);
        if (body.retry_after !== undefined) {
          expect(Number(reply.headers.get('retry-after'))).toBe(body.retry_after);
        }
        passed.push(`${pair.operationId} ${pair.code}`);
      } finally {
        await close(w);
      }
    });
  },
);
