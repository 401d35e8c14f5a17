import type { Clock } from '../platform/clock.ts';
import type { Db, SessionRow, Trx } from './database.ts';
import { DivinationError } from './errors.ts';
import { randomId } from './ids.ts';

/** A session holds two user messages: the reading and one follow-up. */
export const maxUserMessages = 2;

/**
 * Whether an id has the format of the thread ids this server issues (`thr_` and 16 base-62
 * characters). The document's pattern is looser: an id it lets through, the validator's
 * REQUEST_VALIDATION_ERROR otherwise, that no session can have is AGENT_SESSION_ID_INVALID.
 */
export const isThreadId = (id: string) => /^thr_[0-9A-Za-z]{16}$/.test(id);

/** The `Session` the API answers. */
export function sessionView(session: SessionRow) {
  return {
    threadId: session.thread_id,
    title: session.title,
    method: session.method,
    user_message_count: session.user_message_count,
    created_at: session.created_at,
    updated_at: session.updated_at,
  };
}

/**
 * The caller's session: 422 for an id no session can have, 404 for none, 403 for another
 * user's.
 */
export async function ownedSession(db: Db | Trx, threadId: string, userId: string) {
  if (!isThreadId(threadId)) {
    throw new DivinationError('AGENT_SESSION_ID_INVALID', { thread_id: threadId });
  }
  const session = await db
    .selectFrom('agent_sessions')
    .selectAll()
    .where('thread_id', '=', threadId)
    .executeTakeFirst();
  if (!session) {
    throw new DivinationError('AGENT_SESSION_NOT_FOUND', { thread_id: threadId });
  }
  if (session.user_id !== userId) {
    throw new DivinationError('AGENT_FORBIDDEN');
  }
  return session;
}

/** Users' divination sessions (AG-UI threads) and their messages. */
export function createSessions({ db, clock }: { db: Db; clock: Clock }) {
  return {
    /**
     * A user's sessions, the latest first, created before `before`. A user's sessions never
     * share an instant (see `create`), so a page ends exactly where the next begins.
     */
    async list(userId: string, page: { limit?: number; before?: string }) {
      const limit = page.limit ?? 20;
      let query = db.selectFrom('agent_sessions').selectAll().where('user_id', '=', userId);
      if (page.before) {
        query = query.where('created_at', '<', new Date(page.before).toISOString());
      }
      const rows = await query
        .orderBy('created_at', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items, nextBefore: rows.length > limit && last ? last.created_at : null };
    },

    /**
     * Opens a session. Its instant is a millisecond after the user's latest session's when the
     * clock has not moved past it: the user's row, locked first, keeps racing creations in turn.
     */
    create(userId: string, input: { method: SessionRow['method']; title?: string }) {
      return db.transaction().execute(async (trx) => {
        await trx
          .updateTable('users')
          .set((eb) => ({ updated_at: eb.ref('updated_at') }))
          .where('id', '=', userId)
          .execute();
        const latest = await trx
          .selectFrom('agent_sessions')
          .select('created_at')
          .where('user_id', '=', userId)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        const now = clock.now().getTime();
        const after = latest ? Date.parse(latest.created_at) + 1 : now;
        const at = new Date(Math.max(now, after)).toISOString();
        const session: SessionRow = {
          thread_id: randomId('thr_'),
          user_id: userId,
          title: input.title ?? '',
          method: input.method,
          user_message_count: 0,
          created_at: at,
          updated_at: at,
        };
        await trx.insertInto('agent_sessions').values(session).execute();
        return session;
      });
    },

    /** Deletes a session with its messages, runs, their events and tool calls. */
    remove(threadId: string) {
      return db.transaction().execute(async (trx) => {
        const runs = trx
          .selectFrom('agent_runs')
          .select('run_id')
          .where('thread_id', '=', threadId);
        await trx.deleteFrom('tool_calls').where('run_id', 'in', runs).execute();
        await trx.deleteFrom('run_events').where('run_id', 'in', runs).execute();
        await trx.deleteFrom('agent_runs').where('thread_id', '=', threadId).execute();
        await trx.deleteFrom('agent_messages').where('thread_id', '=', threadId).execute();
        await trx.deleteFrom('agent_sessions').where('thread_id', '=', threadId).execute();
      });
    },

    /** A session's messages, oldest first, as AG-UI messages. */
    async messages(threadId: string) {
      const rows = await db
        .selectFrom('agent_messages')
        .selectAll()
        .where('thread_id', '=', threadId)
        .orderBy('position')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        role: row.role,
        content: row.content,
        ...(row.tool_call_id !== null && { toolCallId: row.tool_call_id }),
      }));
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
