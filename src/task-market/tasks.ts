import type { Clock } from '../platform/clock.ts';
import { isUniqueViolation } from '../platform/database-errors.ts';
import { compiledLookup } from '../platform/db.ts';
import { uuidv7 } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import type { BriefStorage } from './briefs.ts';
import type { TaskMarketConfig } from './config.ts';
import { newestFirstPage } from './cursor.ts';
import type { Db, TaskRow, TaskStatus, Trx } from './database.ts';
import { TaskMarketError } from './errors.ts';
import { ledger, type Mover } from './ledger.ts';
import {
  type Action,
  checkAction,
  deadlineAfterReject,
  mayReadBrief,
  transitions,
} from './lifecycle.ts';

export interface PublishInput {
  title: string;
  description?: string;
  bounty: number;
  deadline: string;
}

export interface TaskFilters {
  status?: TaskStatus;
  publisher_id?: string;
  executor_id?: string;
  limit?: number;
  cursor?: string;
}

const active: TaskStatus[] = ['claimed', 'submitted'];

export interface TaskStoreOptions {
  db: Db;
  clock: Clock;
  /** Where refusals of another agent's account and failed sweeps are logged. */
  log: Logger;
  config: Pick<TaskMarketConfig, 'decisionWindowSeconds' | 'maxOpenTasks'>;
  briefs: BriefStorage;
}

/** What an operation knows of the request it serves, for its logs. */
export interface RequestInfo {
  requestId?: string;
}

/**
 * The task lifecycle on the database. Every change of a task and of the points it moves happens
 * in one transaction, and every update is guarded by the status it expects, so of two racing
 * requests exactly one wins and the other gets the code of what it found. Brief files follow
 * the commits: a new version is written aside and published by the update that points the task
 * at it; a replaced version, and a task's brief once it ends, are deleted after the commit.
 */
export function createTaskStore({ db, clock, log, config, briefs }: TaskStoreOptions) {
  const now = () => clock.now().toISOString();

  const findTask = compiledLookup(db, db.selectFrom('tasks').selectAll().where('id', '=', ''));

  async function find(taskId: string): Promise<TaskRow> {
    const task = await findTask(taskId);
    if (!task) {
      throw new TaskMarketError('TASK_NOT_FOUND', { task_id: taskId });
    }
    return task;
  }

  /** Deletes a brief version nothing points at any more; a failure only leaves a file behind. */
  async function discardBrief(taskId: string, file: string | null) {
    if (file === null) {
      return;
    }
    try {
      await briefs.remove(taskId, file);
    } catch (error) {
      log.warn({ err: error, task_id: taskId, file }, 'could not delete a brief file');
    }
  }

  /**
   * Runs an action: checks the rules, moves the task (and points), and returns the task before
   * and after it.
   */
  async function act(
    taskId: string,
    agentId: string,
    action: Action,
    changes: (task: TaskRow, at: string) => Partial<TaskRow>,
    points?: (trx: Trx, task: TaskRow, at: string) => Promise<void>,
  ): Promise<{ before: TaskRow; task: TaskRow }> {
    return db.transaction().execute(async (trx) => {
      const task = await trx
        .selectFrom('tasks')
        .selectAll()
        .where('id', '=', taskId)
        .executeTakeFirst();
      if (!task) {
        throw new TaskMarketError('TASK_NOT_FOUND', { task_id: taskId });
      }
      const at = now();
      const status = checkAction(task, action, agentId, new Date(at), config);
      if (action === 'claim') {
        await refuseSecondActiveTask(trx, agentId);
      }
      const updated = await trx
        .updateTable('tasks')
        .set({ ...changes(task, at), status, updated_at: at })
        .where('id', '=', taskId)
        .where('status', '=', transitions[action].from)
        .returningAll()
        .executeTakeFirst();
      if (!updated) {
        // Another request moved the task since it was read: answer for what it is now.
        const current = await trx
          .selectFrom('tasks')
          .selectAll()
          .where('id', '=', taskId)
          .executeTakeFirstOrThrow();
        checkAction(current, action, agentId, new Date(at), config);
        throw new TaskMarketError('TASK_STATE_INVALID', {
          task_id: taskId,
          current_status: current.status,
          allowed_statuses: [transitions[action].from],
        });
      }
      if (task.status === 'open' && updated.status !== 'open') {
        await leftOpen(trx, task.publisher_id);
      }
      await points?.(trx, updated, at);
      return { before: task, task: updated };
    });
  }

  /** A task of this publisher's left `open`: one more may be published. */
  async function leftOpen(trx: Trx, publisherId: string) {
    await trx
      .updateTable('accounts')
      .set((eb) => ({ open_tasks: eb('open_tasks', '-', 1) }))
      .where('agent_id', '=', publisherId)
      .execute();
  }

  /** An action that ends the task: its brief is deleted once the change is committed. */
  async function end(result: Promise<{ before: TaskRow; task: TaskRow }>): Promise<TaskRow> {
    const { before, task } = await result;
    await discardBrief(before.id, before.brief_file);
    return task;
  }

  async function refuseSecondActiveTask(trx: Db | Trx, agentId: string) {
    const current = await trx
      .selectFrom('tasks')
      .select('id')
      .where('executor_id', '=', agentId)
      .where('status', 'in', active)
      .executeTakeFirst();
    if (current) {
      throw new TaskMarketError('ACTIVE_TASK_EXISTS', { active_task_id: current.id });
    }
  }

  /**
   * Ends each task of `ids` the server ends on its own, one transaction each: `change` moves it
   * (and its points) if it still qualifies. A task whose points cannot move stays until the next
   * sweep. Returns how many ended.
   */
  async function sweep(
    ids: { id: string }[],
    what: string,
    change: (trx: Trx, task: TaskRow, mover: Mover) => Promise<boolean>,
  ): Promise<number> {
    const mover: Mover = { callerId: null, log };
    let ended = 0;
    for (const { id } of ids) {
      try {
        const before = await db.transaction().execute(async (trx) => {
          const task = await trx
            .selectFrom('tasks')
            .selectAll()
            .where('id', '=', id)
            .executeTakeFirst();
          return task && (await change(trx, task, mover)) ? task : undefined;
        });
        if (before) {
          ended += 1;
          await discardBrief(before.id, before.brief_file);
        }
      } catch (error) {
        log.warn({ err: error, task_id: id }, `could not ${what}`);
      }
    }
    return ended;
  }

  return {
    find,

    async publish(
      publisherId: string,
      input: PublishInput,
      request: RequestInfo = {},
    ): Promise<TaskRow> {
      const at = now();
      if (new Date(input.deadline) <= new Date(at)) {
        throw new TaskMarketError('INVALID_VALUE', {
          field: 'deadline',
          reason: `must be later than ${at}`,
        });
      }
      return db.transaction().execute(async (trx) => {
        const room = await trx
          .updateTable('accounts')
          .set((eb) => ({ open_tasks: eb('open_tasks', '+', 1) }))
          .where('agent_id', '=', publisherId)
          .where('open_tasks', '<', config.maxOpenTasks)
          .executeTakeFirst();
        if (room.numUpdatedRows === 0n) {
          throw new TaskMarketError('INVALID_VALUE', {
            field: 'open_tasks',
            reason: `at most ${config.maxOpenTasks} open tasks per agent: cancel one or wait for a claim`,
          });
        }
        const task = await trx
          .insertInto('tasks')
          .values({
            id: uuidv7(),
            title: input.title,
            description: input.description ?? '',
            bounty: input.bounty,
            status: 'open',
            publisher_id: publisherId,
            executor_id: null,
            deadline: new Date(input.deadline).toISOString(),
            brief_updated_at: null,
            brief_file: null,
            submission_content: null,
            submitted_at: null,
            rejection_reason: null,
            created_at: at,
            updated_at: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await ledger.freeze(trx, task, at, { callerId: publisherId, log, ...request });
        return task;
      });
    },

    async list(filters: TaskFilters): Promise<{ items: TaskRow[]; nextCursor: string | null }> {
      let query = db.selectFrom('tasks').selectAll();
      if (filters.status) {
        query = query.where('status', '=', filters.status);
      }
      if (filters.publisher_id) {
        query = query.where('publisher_id', '=', filters.publisher_id);
      }
      if (filters.executor_id) {
        query = query.where('executor_id', '=', filters.executor_id);
      }
      return newestFirstPage(query, filters.cursor, filters.limit);
    },

    async claim(taskId: string, agentId: string): Promise<TaskRow> {
      const claim = async () =>
        (await act(taskId, agentId, 'claim', () => ({ executor_id: agentId }))).task;
      try {
        return await claim();
      } catch (error) {
        if (!isUniqueViolation(error)) {
          throw error;
        }
        // This agent's other claim won the race (one active task per executor, kept by the
        // database): name that task, or, if it has ended meanwhile, claim again.
        await refuseSecondActiveTask(db, agentId);
        return claim();
      }
    },

    submit: async (taskId: string, agentId: string, content: string) =>
      (
        await act(taskId, agentId, 'submit', (_task, at) => ({
          submission_content: content,
          submitted_at: at,
        }))
      ).task,

    accept: (taskId: string, agentId: string, request: RequestInfo = {}) =>
      end(
        act(
          taskId,
          agentId,
          'accept',
          () => ({ brief_file: null }),
          (trx, task, at) => ledger.transfer(trx, task, at, { callerId: agentId, log, ...request }),
        ),
      ),

    reject: async (taskId: string, agentId: string, reason: string) =>
      (
        await act(taskId, agentId, 'reject', (task, at) => ({
          rejection_reason: reason,
          deadline: deadlineAfterReject(task, new Date(at), config.decisionWindowSeconds),
        }))
      ).task,

    cancel: (taskId: string, agentId: string, request: RequestInfo = {}) =>
      end(
        act(
          taskId,
          agentId,
          'cancel',
          () => ({ brief_file: null }),
          (trx, task, at) => ledger.unfreeze(trx, task, at, { callerId: agentId, log, ...request }),
        ),
      ),

    /**
     * Replaces the brief of an open task: the new version is written aside, then published by
     * the guarded update; if the update fails (a claim won), the new version is deleted and the
     * one the task points at is untouched.
     */
    async replaceBrief(taskId: string, agentId: string, markdown: string): Promise<TaskRow> {
      checkAction(await find(taskId), 'uploadBrief', agentId, clock.now(), config);
      const file = await briefs.write(taskId, markdown);
      let result: { before: TaskRow; task: TaskRow };
      try {
        result = await act(taskId, agentId, 'uploadBrief', (_task, at) => ({
          brief_file: file,
          brief_updated_at: at,
        }));
      } catch (error) {
        await discardBrief(taskId, file);
        throw error;
      }
      await discardBrief(taskId, result.before.brief_file);
      return result.task;
    },

    /** The brief of a task, for an agent that may read it. */
    async readBrief(taskId: string, agentId: string): Promise<string> {
      let task = await find(taskId);
      for (let attempt = 1; ; attempt += 1) {
        if (!mayReadBrief(task, agentId)) {
          throw new TaskMarketError('FORBIDDEN', { task_id: task.id });
        }
        if (task.brief_file === null) {
          throw new TaskMarketError('TASK_MD_NOT_FOUND', { task_id: task.id });
        }
        const markdown = await briefs.read(task.id, task.brief_file);
        if (markdown !== undefined) {
          return markdown;
        }
        // Replaced (or the task ended) since the row was read: read the version it shows now.
        const current = await find(taskId);
        if (current.brief_file === task.brief_file || attempt === 3) {
          throw new TaskMarketError('STORAGE_ERROR', { task_id: task.id, operation: 'read' });
        }
        task = current;
      }
    },

    /**
     * The sweep: expires the open and claimed tasks past their deadline, unfreezing their
     * bounties, and accepts for its publisher each submission left unanswered for the decision
     * window, paying the executor. A task whose points cannot move stays until the next sweep.
     * Returns how many tasks ended.
     */
    async expireOverdue(): Promise<number> {
      const at = now();
      const waiting: TaskStatus[] = ['open', 'claimed'];
      const overdue = await db
        .selectFrom('tasks')
        .select('id')
        .where('status', 'in', waiting)
        .where('deadline', '<=', at)
        .execute();
      const expired = await sweep(overdue, 'expire task', async (trx, task, mover) => {
        if (!waiting.includes(task.status) || task.deadline > at) {
          return false;
        }
        const changed = await trx
          .updateTable('tasks')
          .set({ status: 'expired', brief_file: null, updated_at: at })
          .where('id', '=', task.id)
          .where('status', '=', task.status)
          .executeTakeFirst();
        if (changed.numUpdatedRows === 0n) {
          return false;
        }
        if (task.status === 'open') {
          await leftOpen(trx, task.publisher_id);
        }
        await ledger.unfreeze(trx, task, at, mover);
        return true;
      });

      const cutoff = new Date(Date.parse(at) - config.decisionWindowSeconds * 1000).toISOString();
      const undecided = await db
        .selectFrom('tasks')
        .select('id')
        .where('status', '=', 'submitted')
        .where('submitted_at', '<=', cutoff)
        .execute();
      const settled = await sweep(undecided, 'settle submission', async (trx, task, mover) => {
        if (
          task.status !== 'submitted' ||
          task.submitted_at === null ||
          task.submitted_at > cutoff
        ) {
          return false;
        }
        const changed = await trx
          .updateTable('tasks')
          .set({ status: 'accepted', brief_file: null, updated_at: at })
          .where('id', '=', task.id)
          .where('status', '=', 'submitted')
          .executeTakeFirst();
        if (changed.numUpdatedRows === 0n) {
          return false;
        }
        await ledger.transfer(trx, task, at, mover);
        return true;
      });
      return expired + settled;
    },
  };
}

export type TaskStore = ReturnType<typeof createTaskStore>;
