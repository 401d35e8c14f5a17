import { entryOfCode } from '../catalog/envelopes.js';
import type { Clock } from '../platform/clock.ts';
import { isUniqueViolation } from '../platform/database-errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { DivinationConfig } from './config.ts';
import type { Db, SessionRow, Trx } from './database.ts';
import { catalog, DivinationError } from './errors.ts';
import { randomId } from './ids.ts';
import { type Leases, leaseSeconds } from './leases.ts';
import { isLlmUnavailableError, type Llm } from './llm.ts';
import { movePoints } from './points.ts';
import { readingPrompt } from './reading-prompt.ts';
import {
  converse,
  type RunErrorCode,
  type RunEvent,
  RunFailure,
  type TranscriptMessage,
} from './run-conversation.ts';
import type { RunRequest } from './run-input.ts';
import { createRunFeed, runEvents } from './run-stream.ts';
import { maxUserMessages, ownedSession } from './sessions.ts';
import { createToolCalls, drawTarotCard } from './tool-calls.ts';

export interface RunTimings {
  /** How long a run waits for the user to decide on a tool call; undecided, it is rejected. */
  approvalTimeoutMs: number;
  /** How often a stream, or a run waiting for a decision, looks for what another instance wrote. */
  pollMs: number;
}

export interface RunsOptions {
  db: Db;
  clock: Clock;
  config: DivinationConfig;
  llm: Llm;
  logger: Logger;
  leases: Leases;
  timings?: Partial<RunTimings>;
}

/** What ends a run: which it is, whose, and where its user message is in its session. */
interface RunRef {
  runId: string;
  threadId: string;
  userId: string;
  /** The position of the run's user message in its session. */
  position: number;
}

/** A started run, as its worker needs it. */
interface StartedRun extends RunRequest, RunRef {
  /** The stream place taken for its first client. */
  streamLease: string;
  method: SessionRow['method'];
  /** The session's messages before the run's. */
  history: {
    role: 'user' | 'assistant' | 'system' | 'tool';
    content: string;
    tool_call_id: string | null;
  }[];
}

/** The document's longest message: a longer answer is cut there. */
const maxMessageLength = 4000;

/** The catalog's message of a code, as a `RUN_ERROR` carries it. */
const messageOf = (code: RunErrorCode) =>
  entryOfCode(catalog, code)?.message[catalog.wire.language] ?? code;

/**
 * Agent runs. A run starts in one transaction that checks the session's turn, takes a stream
 * place, records the run and the user message and charges its points; then a worker of this
 * instance talks with the LLM, storing each event (`run_events`, seq = SSE id), whether or not a
 * client is still reading. It ends in one transaction with its last event: finished, keeping its
 * messages; or failed (`RUN_ERROR`), refunding its points and giving its turn back, so the
 * session can be run again.
 */
export function createRuns(options: RunsOptions) {
  const { db, clock, config, llm, logger, leases, timings = {} } = options;
  const { approvalTimeoutMs = 120_000, pollMs = 250 } = timings;
  const feed = createRunFeed();
  const toolCalls = createToolCalls({ db, clock, feed });
  const workers = new Map<
    string,
    { threadId: string; userId: string; stop: AbortController; done: Promise<void> }
  >();
  const now = () => clock.now().toISOString();

  const eventRow = (runId: string, seq: number, event: RunEvent) => ({
    run_id: runId,
    seq,
    data: JSON.stringify({ ...event, timestamp: clock.now().getTime() }),
  });

  /**
   * Takes the session's next turn, guarded by the count it read: of two racing runs one wins,
   * the other is answered for the session as the winner left it.
   */
  async function takeTurn(trx: Trx, userId: string, request: RunRequest): Promise<SessionRow> {
    for (;;) {
      const session = await ownedSession(trx, request.threadId, userId);
      await checkTurn(trx, session, request);
      const title = session.title || (request.payload?.question.slice(0, 60) ?? '');
      const taken = await trx
        .updateTable('agent_sessions')
        .set({ user_message_count: session.user_message_count + 1, title, updated_at: now() })
        .where('thread_id', '=', session.thread_id)
        .where('user_message_count', '=', session.user_message_count)
        .executeTakeFirst();
      if (taken.numUpdatedRows > 0n) {
        return session;
      }
    }
  }

  /**
   * A session's turns: a `reading` first, then one `follow_up` once the reading has finished; a
   * payload of the session's method (a tarot one naming the spread its tool needs); a run id
   * never used.
   */
  async function checkTurn(trx: Trx, session: SessionRow, request: RunRequest) {
    if (session.user_message_count >= maxUserMessages) {
      throw new DivinationError('AGENT_SESSION_RUN_LIMIT_EXCEEDED', { limit: maxUserMessages });
    }
    const finished = await trx
      .selectFrom('agent_runs')
      .select('run_id')
      .where('thread_id', '=', session.thread_id)
      .where('status', '=', 'finished')
      .executeTakeFirst();
    const turn = request.mode === 'reading' ? 0 : 1;
    if (session.user_message_count !== turn || (turn === 1 && !finished)) {
      throw new DivinationError('AGENT_RUNTIME_MODE_INVALID');
    }
    if (request.payload && request.payload.method !== session.method) {
      throw new DivinationError('AGENT_PAYLOAD_INVALID');
    }
    if (request.mode === 'reading' && session.method === 'tarot' && !request.payload?.cast.spread) {
      // A tarot reading offers draw_tarot_card, whose required `spread` comes from the cast: a
      // cast that names none cannot give the tool its runtime argument.
      throw new DivinationError('MISSING_RUNTIME_ARGS');
    }
    const used = await trx
      .selectFrom('agent_runs')
      .select('run_id')
      .where('run_id', '=', request.runId)
      .executeTakeFirst();
    if (used) {
      throw new DivinationError('AGENT_RUN_INPUT_INVALID');
    }
  }

  /** The starting transaction: everything refused before the stream opens is refused here. */
  async function begin(userId: string, request: RunRequest): Promise<StartedRun> {
    const { threadId, runId } = request;
    try {
      return await db.transaction().execute(async (trx) => {
        const session = await takeTurn(trx, userId, request);
        const streamLease = await leases.takeStreamPlace(trx, userId, config.maxOpenStreams);
        const at = now();
        const history = await trx
          .selectFrom('agent_messages')
          .select(['role', 'content', 'tool_call_id', 'position'])
          .where('thread_id', '=', threadId)
          .orderBy('position')
          .execute();
        const position = (history.at(-1)?.position ?? -1) + 1;
        await trx
          .insertInto('agent_runs')
          .values({
            run_id: runId,
            thread_id: threadId,
            user_id: userId,
            status: 'running',
            position,
            lease_expires_at: leases.expiry(),
            created_at: at,
            ended_at: null,
          })
          .execute();
        await trx
          .insertInto('agent_messages')
          .values({
            id: randomId('msg_'),
            thread_id: threadId,
            position,
            role: 'user',
            content: request.message,
            tool_call_id: null,
            created_at: at,
          })
          .execute();
        await movePoints(trx, {
          userId,
          amount: -config.points.runCost,
          kind: 'run',
          runId,
          now: at,
        });
        await trx
          .insertInto('run_events')
          .values(eventRow(runId, 1, { type: 'RUN_STARTED', threadId, runId }))
          .execute();
        return { ...request, userId, method: session.method, history, position, streamLease };
      });
    } catch (error) {
      // The same run id sent twice at once: the loser's insert meets the winner's row.
      if (isUniqueViolation(error)) {
        throw new DivinationError('AGENT_RUN_INPUT_INVALID', undefined, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Ends a run with its last event, in one transaction guarded by its status, and wakes its
   * streams. A run gone meanwhile (its session deleted) takes the events it stored since with it.
   */
  async function end(run: RunRef, seq: number, last: RunEvent, transcript: TranscriptMessage[]) {
    const failed = last.type === 'RUN_ERROR';
    const at = now();
    const ended = await db.transaction().execute(async (trx) => {
      const closed = await trx
        .updateTable('agent_runs')
        .set({ status: failed ? 'failed' : 'finished', ended_at: at })
        .where('run_id', '=', run.runId)
        .where('status', '=', 'running')
        .executeTakeFirst();
      if (closed.numUpdatedRows === 0n) {
        return false;
      }
      await trx
        .insertInto('run_events')
        .values(eventRow(run.runId, seq, last))
        .execute();
      await (failed ? giveBack(trx, run, at) : keep(trx, run, transcript, at));
      return true;
    });
    const gone =
      !ended &&
      !(await db
        .selectFrom('agent_runs')
        .select('run_id')
        .where('run_id', '=', run.runId)
        .executeTakeFirst());
    if (gone) {
      // Its session (or account) was deleted: what it stored since goes with it. (A run another
      // instance ended as orphaned keeps its events.)
      await db.deleteFrom('run_events').where('run_id', '=', run.runId).execute();
      await db.deleteFrom('tool_calls').where('run_id', '=', run.runId).execute();
    }
    feed.notify(run.runId, true);
  }

  /** A finished run's messages join its session. */
  async function keep(trx: Trx, run: RunRef, transcript: TranscriptMessage[], at: string) {
    if (transcript.length > 0) {
      await trx
        .insertInto('agent_messages')
        .values(
          transcript.map((message, index) => ({
            ...message,
            content: message.content.slice(0, maxMessageLength),
            thread_id: run.threadId,
            position: run.position + 1 + index,
            created_at: at,
          })),
        )
        .execute();
    }
    await trx
      .updateTable('agent_sessions')
      .set({ updated_at: at })
      .where('thread_id', '=', run.threadId)
      .execute();
  }

  /** A failed run charges nothing and takes no turn: its points, message and turn come back. */
  async function giveBack(trx: Trx, run: RunRef, at: string) {
    await movePoints(trx, {
      userId: run.userId,
      amount: config.points.runCost,
      kind: 'refund',
      runId: run.runId,
      now: at,
    });
    await trx
      .deleteFrom('agent_messages')
      .where('thread_id', '=', run.threadId)
      .where('position', '>=', run.position)
      .execute();
    await trx
      .updateTable('agent_sessions')
      .set((eb) => ({ user_message_count: eb('user_message_count', '-', 1), updated_at: at }))
      .where('thread_id', '=', run.threadId)
      .where('user_message_count', '>', 0)
      .execute();
    await toolCalls.rejectUndecided(trx, run.runId);
  }

  /** The worker: the conversation, then the run's end; it never throws. */
  async function work(run: StartedRun, stop: AbortSignal) {
    let seq = 1;
    const emit = async (event: RunEvent) => {
      await db
        .insertInto('run_events')
        .values(eventRow(run.runId, seq + 1, event))
        .execute();
      seq += 1;
      feed.notify(run.runId);
    };
    try {
      const messages = readingPrompt(run);
      const tools = run.method === 'tarot' && run.mode === 'reading' ? [drawTarotCard] : [];
      const decision = (id: string) =>
        toolCalls.decision(
          { id, runId: run.runId },
          { timeoutMs: approvalTimeoutMs, pollMs, signal: stop },
        );
      const conversation = { ...run, tools, messages, signal: stop, emit, decision };
      const transcript = await converse(conversation, llm, toolCalls);
      const result = { points_charged: config.points.runCost };
      await end(
        run,
        seq + 1,
        { type: 'RUN_FINISHED', threadId: run.threadId, runId: run.runId, result },
        transcript,
      );
    } catch (error) {
      const code = error instanceof RunFailure ? error.code : 'INTERNAL_ERROR';
      if (!(error instanceof RunFailure) && !stop.aborted) {
        const level = isLlmUnavailableError(error) ? 'warn' : 'error';
        logger[level]({ err: error, run_id: run.runId }, 'run failed');
      }
      await end(run, seq + 1, { type: 'RUN_ERROR', code, message: messageOf(code) }, []).catch(
        (failure: unknown) =>
          logger.error({ err: failure, run_id: run.runId }, 'could not end a run'),
      );
    }
  }

  /**
   * Ends, as failed (refunded, its turn given back), every run whose instance stopped vouching
   * for it: it died mid-run. Any instance may do it; `end` is guarded by the run's status.
   */
  async function endOrphans() {
    const orphans = await db
      .selectFrom('agent_runs')
      .select(['run_id', 'thread_id', 'user_id', 'position'])
      .where('status', '=', 'running')
      .where('lease_expires_at', '<=', now())
      .execute();
    for (const orphan of orphans) {
      const last = await db
        .selectFrom('run_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .where('run_id', '=', orphan.run_id)
        .executeTakeFirst();
      const run = {
        runId: orphan.run_id,
        threadId: orphan.thread_id,
        userId: orphan.user_id,
        position: orphan.position,
      };
      const code = 'INTERNAL_ERROR' as const;
      await end(
        run,
        Number(last?.seq ?? 0) + 1,
        { type: 'RUN_ERROR', code, message: messageOf(code) },
        [],
      );
    }
  }

  /** Renews this instance's leases and ends the runs of instances gone; never throws. */
  async function sweep() {
    await leases.renew();
    await endOrphans().catch((error: unknown) =>
      logger.error({ err: error }, 'could not end the runs of a stopped instance'),
    );
  }
  const sweeping = setInterval(() => void sweep(), (leaseSeconds * 1000) / 3);
  sweeping.unref();

  return {
    toolCalls,
    sweep,

    /**
     * Starts a run (refused with its code before anything is stored), then works it. Returns the
     * stream place taken for its first client, held until `leases.releaseStream`.
     */
    async start(userId: string, request: RunRequest): Promise<string> {
      const run = await begin(userId, request);
      leases.holdStream(run.streamLease);
      leases.holdRun(run.runId);
      const stop = new AbortController();
      const done = work(run, stop.signal).finally(() => {
        workers.delete(run.runId);
        leases.releaseRun(run.runId);
      });
      workers.set(run.runId, { threadId: run.threadId, userId, stop, done });
      return run.streamLease;
    },

    /** A run's events after `after`, then live until it ends or `signal` aborts. */
    events: (runId: string, after: number, signal: AbortSignal) =>
      runEvents(db, feed, { runId, after, signal, pollMs }),

    /** Stops this instance's runs of a deleted session. */
    stopThread(threadId: string) {
      for (const worker of workers.values()) {
        if (worker.threadId === threadId) {
          worker.stop.abort();
        }
      }
    },

    /** Stops this instance's runs of a deleted account: no more LLM work for no one. */
    stopUser(userId: string) {
      for (const worker of workers.values()) {
        if (worker.userId === userId) {
          worker.stop.abort();
        }
      }
    },

    /** Ends this instance's runs (each a `RUN_ERROR`, refunded) and waits for them. */
    async close() {
      clearInterval(sweeping);
      const running = [...workers.values()];
      for (const worker of running) {
        worker.stop.abort();
      }
      await Promise.all(running.map((worker) => worker.done));
    },
  };
}

export type Runs = ReturnType<typeof createRuns>;
