import type { Clock } from '../platform/clock.ts';
import { compiledLookup, isUniqueViolation } from '../platform/db.ts';
import { uuidv7 } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import { newestFirstPage } from './cursor.ts';
import type { Db, TaskRow, TaskStatus, Trx } from './database.ts';
import { TaskMarketError } from './errors.ts';
import { ledger } from './ledger.ts';
import { type Action, checkAction, transitions } from './lifecycle.ts';

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

/**
 * The task lifecycle on the database. Every change of a task and of the points it moves happens
 * in one transaction, and every update is guarded by the status it expects, so of two racing
 * requests exactly one wins and the other gets the code of what it found.
 */
export function createTaskStore({ db, clock, log }: { db: Db; clock: Clock; log: Logger }) {
  const now = () => clock.now().toISOString();

  const findTask = compiledLookup(db, db.selectFrom('tasks').selectAll().where('id', '=', ''));

  async function find(taskId: string): Promise<TaskRow> {
    const task = await findTask(taskId);
    if (!task) {
      throw new TaskMarketError('TASK_NOT_FOUND', { task_id: taskId });
    }
    return task;
  }

  /** Runs an action: checks the rules, moves the task (and points), returns the task after it. */
  async function act(
    taskId: string,
    agentId: string,
    action: Action,
    changes: (task: TaskRow, at: string) => Partial<TaskRow>,
    points?: (trx: Trx, task: TaskRow, at: string) => Promise<void>,
  ): Promise<TaskRow> {
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
      const status = checkAction(task, action, agentId, new Date(at));
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
        checkAction(current, action, agentId, new Date(at));
        throw new TaskMarketError('TASK_STATE_INVALID', {
          task_id: taskId,
          current_status: current.status,
          allowed_statuses: [transitions[action].from],
        });
      }
      await points?.(trx, updated, at);
      return updated;
    });
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

  return {
    find,

    async publish(publisherId: string, input: PublishInput): Promise<TaskRow> {
      const at = now();
      if (new Date(input.deadline) <= new Date(at)) {
        throw new TaskMarketError('INVALID_VALUE', {
          field: 'deadline',
          reason: `must be later than ${at}`,
        });
      }
      return db.transaction().execute(async (trx) => {
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
            submission_content: null,
            submitted_at: null,
            rejection_reason: null,
            created_at: at,
            updated_at: at,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await ledger.freeze(trx, publisherId, task.bounty, task.id, at);
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
      const claim = () => act(taskId, agentId, 'claim', () => ({ executor_id: agentId }));
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

    submit: (taskId: string, agentId: string, content: string) =>
      act(taskId, agentId, 'submit', (_task, at) => ({
        submission_content: content,
        submitted_at: at,
      })),

    accept: (taskId: string, agentId: string) =>
      act(
        taskId,
        agentId,
        'accept',
        () => ({}),
        (trx, task, at) =>
          ledger.transfer(
            trx,
            task.publisher_id,
            task.executor_id as string,
            task.bounty,
            task.id,
            at,
          ),
      ),

    reject: (taskId: string, agentId: string, reason: string) =>
      act(taskId, agentId, 'reject', () => ({ rejection_reason: reason })),

    cancel: (taskId: string, agentId: string) =>
      act(
        taskId,
        agentId,
        'cancel',
        () => ({}),
        (trx, task, at) => ledger.unfreeze(trx, task.publisher_id, task.bounty, task.id, at),
      ),

    /** Checks that the brief may be replaced now, and records that it was, after `store`. */
    async replaceBrief(
      taskId: string,
      agentId: string,
      store: () => Promise<void>,
    ): Promise<TaskRow> {
      checkAction(await find(taskId), 'uploadBrief', agentId, clock.now());
      await store();
      return act(taskId, agentId, 'uploadBrief', (_task, at) => ({ brief_updated_at: at }));
    },

    /**
     * Expires the open and claimed tasks past their deadline and unfreezes their bounties.
     * A task whose publisher's account is locked stays until the next sweep.
     */
    async expireOverdue(): Promise<number> {
      const at = now();
      const overdue = await db
        .selectFrom('tasks')
        .select('id')
        .where('status', 'in', ['open', 'claimed'])
        .where('deadline', '<=', at)
        .execute();
      let expired = 0;
      for (const { id } of overdue) {
        try {
          await db.transaction().execute(async (trx) => {
            const task = await trx
              .updateTable('tasks')
              .set({ status: 'expired', updated_at: at })
              .where('id', '=', id)
              .where('status', 'in', ['open', 'claimed'])
              .returningAll()
              .executeTakeFirst();
            if (task) {
              await ledger.unfreeze(trx, task.publisher_id, task.bounty, task.id, at);
              expired += 1;
            }
          });
        } catch (error) {
          log.warn({ err: error, task_id: id }, 'could not expire task');
        }
      }
      return expired;
    },
  };
}

export type TaskStore = ReturnType<typeof createTaskStore>;
