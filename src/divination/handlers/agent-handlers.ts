import type { operations } from '../../../generated/divination/schema.d.ts';
import type { Clock } from '../../platform/clock.ts';
import type { StreamEvent } from '../../platform/event-stream.ts';
import type { Handlers } from '../../platform/handlers.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Caller } from '../auth.ts';
import type { DivinationConfig } from '../config.ts';
import type { Db } from '../database.ts';
import { DivinationError } from '../errors.ts';
import { createLeases } from '../leases.ts';
import type { Llm } from '../llm.ts';
import { checkRunInput, type UrlInspector } from '../run-input.ts';
import { createRuns } from '../runs.ts';
import { createSessions, ownedSession, sessionView } from '../sessions.ts';
import { pendingBody, rejected, toolCallView } from '../tool-calls.ts';
import { liveUser } from '../users.ts';
import { caller } from './auth-handlers.ts';

export interface AgentHandlerDeps {
  db: Db;
  clock: Clock;
  config: DivinationConfig;
  llm: Llm;
  logger: Logger;
  /** Checks attachment URLs: src/divination/storage.ts's `Storage` is one. */
  storage: UrlInspector;
}

type AgentOperations =
  | 'listSessions'
  | 'createSession'
  | 'getSession'
  | 'deleteSession'
  | 'listSessionMessages'
  | 'runAgent'
  | 'resumeRun'
  | 'getToolCall'
  | 'decideToolCall';

/** The agent's handlers, and `close()`: ends this instance's runs (before the database closes). */
export type AgentHandlers = Pick<Handlers<operations, Caller>, AgentOperations> & {
  /** Stops this instance's runs of a deleted account. */
  stopUserRuns(userId: string): void;
  close(): Promise<void>;
};

/** The format of the user ids this server issues (`u_` and 16 base-62 characters). */
const isUserId = (id: string) => /^u_[0-9A-Za-z]{16}$/.test(id);

/** Sessions, runs streamed as AG-UI events (and resumed), and tool-call approvals. */
export function createAgentHandlers(deps: AgentHandlerDeps): AgentHandlers {
  const { db, config, logger, storage } = deps;
  const sessions = createSessions(deps);
  const leases = createLeases(deps);
  const runs = createRuns({ ...deps, leases });

  /** The caller's live account; one whose token names no user id of ours has none. */
  async function user(auth: Caller | null, checkId = false): Promise<string> {
    const { userId } = caller(auth);
    if (checkId && !isUserId(userId)) {
      throw new DivinationError('AGENT_USER_ID_INVALID');
    }
    return (await liveUser(db, userId)).id;
  }

  /**
   * A run's events as the answer, holding the stream place taken for it until the stream ends,
   * however it ends: its last event, the client leaving, or shutdown.
   */
  function stream(lease: string, runId: string, after: number, signal: AbortSignal) {
    let released: Promise<void> | undefined;
    const release = () => {
      released ??= leases
        .releaseStream(lease)
        .catch((error: unknown) =>
          logger.error({ err: error, lease }, 'could not release a stream place'),
        );
      return released;
    };
    signal.addEventListener('abort', release, { once: true });
    async function* events(): AsyncGenerator<StreamEvent> {
      try {
        yield* runs.events(runId, after, signal);
      } finally {
        await release();
      }
    }
    return { status: 200 as const, contentType: 'text/event-stream' as const, events: events() };
  }

  /** The id of the last event a client got: none (from the start), or one of the run's. */
  async function lastEventId(header: string | string[] | undefined, runId: string) {
    if (header === undefined) {
      return 0;
    }
    const id = Array.isArray(header) ? Number.NaN : Number(header);
    const last = await db
      .selectFrom('run_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('run_id', '=', runId)
      .executeTakeFirst();
    if (!/^\d+$/.test(String(header)) || !Number.isSafeInteger(id) || id > Number(last?.seq ?? 0)) {
      throw new DivinationError('AGENT_INVALID_LAST_EVENT_ID', { last_event_id: String(header) });
    }
    return id;
  }

  return {
    async listSessions(context) {
      const page = await sessions.list(await user(context.auth), context.query);
      return {
        status: 200,
        body: { items: page.items.map(sessionView), next_before: page.nextBefore },
      };
    },

    async createSession(context) {
      const session = await sessions.create(await user(context.auth, true), context.body);
      return { status: 201, body: sessionView(session) };
    },

    async getSession(context) {
      const session = await ownedSession(db, context.params.threadId, await user(context.auth));
      return { status: 200, body: sessionView(session) };
    },

    async deleteSession(context) {
      const session = await ownedSession(db, context.params.threadId, await user(context.auth));
      await sessions.remove(session.thread_id);
      runs.stopThread(session.thread_id);
      return { status: 204 };
    },

    async listSessionMessages(context) {
      const session = await ownedSession(db, context.params.threadId, await user(context.auth));
      return {
        status: 200,
        body: { threadId: session.thread_id, messages: await sessions.messages(session.thread_id) },
      };
    },

    async runAgent(context) {
      const userId = await user(context.auth, true);
      const request = checkRunInput(context.body, { userId, storage });
      const lease = await runs.start(userId, request);
      return stream(lease, request.runId, 0, context.signal);
    },

    async resumeRun(context) {
      const userId = await user(context.auth);
      const session = await ownedSession(db, context.params.threadId, userId);
      const { runId } = context.query;
      const run = await db
        .selectFrom('agent_runs')
        .select('run_id')
        .where('run_id', '=', runId)
        .where('thread_id', '=', session.thread_id)
        .executeTakeFirst();
      if (!run) {
        throw new DivinationError('AGENT_INVALID_RUN_ID', { run_id: runId });
      }
      const after = await lastEventId(context.headers['last-event-id'], runId);
      const lease = await db
        .transaction()
        .execute((trx) => leases.takeStreamPlace(trx, userId, config.maxOpenStreams));
      leases.holdStream(lease);
      return stream(lease, runId, after, context.signal);
    },

    async getToolCall(context) {
      const call = await runs.toolCalls.owned(context.params.toolCallId, await user(context.auth));
      if (call.status === 'pending') {
        return { status: 202, body: pendingBody(call) };
      }
      if (call.status === 'rejected') {
        throw rejected(call);
      }
      return { status: 200, body: toolCallView(call) };
    },

    async decideToolCall(context) {
      const userId = await user(context.auth);
      const call = await runs.toolCalls.decide(
        context.params.toolCallId,
        userId,
        context.body.approve,
      );
      return { status: 200, body: toolCallView(call) };
    },

    stopUserRuns: (userId) => runs.stopUser(userId),
    close: () => runs.close(),
  };
}
