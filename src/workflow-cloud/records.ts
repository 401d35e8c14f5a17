import type { Clock } from '../platform/clock.ts';
import type { AccountRow, Db, Instance, TaskRow, Trx, WorkflowCloudDatabase } from './database.ts';
import { WorkflowCloudError } from './errors.ts';
import { type TaskEvent, transitions } from './lifecycle.ts';

type NewTask = Omit<
  WorkflowCloudDatabase['tasks'],
  'status' | 'webhook_attempts' | 'paid_with' | 'created_at'
>;

const slotColumn = {
  shared: 'active_shared',
  exclusive: 'active_exclusive',
} as const satisfies Record<Instance, keyof AccountRow>;

const limitColumn = {
  shared: 'concurrency',
  exclusive: 'instances',
} as const satisfies Record<Instance, keyof AccountRow>;

/** The wallet an account pays from: an enterprise's funds (in cents), else its coins. */
const walletOf = (account: Pick<AccountRow, 'plan'>) =>
  account.plan === 'enterprise' ? ('money_cents' as const) : ('coins' as const);

/**
 * The task rows and the account counters that move with them, each change one transaction: a
 * task holds a slot of its instance and its cost from the moment it is created until it ends, so
 * the limits hold however many requests race, on SQLite as on PostgreSQL.
 */
export function createTaskRecords(db: Db, clock: Clock) {
  /** Frees the task's slot and, when asked, gives its cost back. */
  async function release(trx: Trx, task: TaskRow, refund: boolean) {
    const wallet = task.paid_with === 'money' ? 'money_cents' : 'coins';
    const slot = slotColumn[task.instance];
    await trx
      .updateTable('accounts')
      .set((eb) => ({
        [slot]: eb(slot, '-', 1),
        ...(refund && { [wallet]: eb(wallet, '+', task.cost) }),
      }))
      .where('id', '=', task.account_id)
      .execute();
  }

  return {
    /**
     * Takes a slot of the instance (421 shared, 415 exclusive when none is free), charges the
     * cost (416, or 812 for enterprise funds, when the wallet is short) and records the task
     * QUEUED: all or nothing.
     */
    reserve(account: AccountRow, task: NewTask): Promise<TaskRow> {
      return db.transaction().execute(async (trx) => {
        const slot = slotColumn[task.instance];
        const taken = await trx
          .updateTable('accounts')
          .set((eb) => ({ [slot]: eb(slot, '+', 1) }))
          .where('id', '=', account.id)
          .whereRef(slot, '<', limitColumn[task.instance])
          .executeTakeFirst();
        if (taken.numUpdatedRows === 0n) {
          throw new WorkflowCloudError(
            task.instance === 'shared' ? 'TASK_QUEUE_MAXED' : 'TASK_INSTANCE_MAXED',
          );
        }
        const wallet = walletOf(account);
        const charged = await trx
          .updateTable('accounts')
          .set((eb) => ({ [wallet]: eb(wallet, '-', task.cost) }))
          .where('id', '=', account.id)
          .where(wallet, '>=', task.cost)
          .executeTakeFirst();
        if (charged.numUpdatedRows === 0n) {
          throw new WorkflowCloudError(
            wallet === 'money_cents'
              ? 'CORPAPIKEY_INSUFFICIENT_FUNDS'
              : 'TASK_CREATE_FAILED_BY_NOT_ENOUGH_WALLET',
          );
        }
        const row = {
          ...task,
          status: 'QUEUED' as const,
          paid_with: wallet === 'money_cents' ? ('money' as const) : ('coins' as const),
          webhook_attempts: 0,
          created_at: clock.now().toISOString(),
        };
        await trx.insertInto('tasks').values(row).execute();
        return row;
      });
    },

    /**
     * Undoes `reserve` for a task ComfyUI never took (refused or unreachable): the row goes, the
     * slot and the cost come back. False when it ended meanwhile (the monitor failed and refunded it: its request took too long).
     */
    withdraw(task: TaskRow): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const deleted = await trx
          .deleteFrom('tasks')
          .where('id', '=', task.id)
          .where('status', '=', 'QUEUED')
          .executeTakeFirst();
        if (deleted.numDeletedRows === 0n) {
          return false;
        }
        await release(trx, task, true);
        return true;
      });
    },

    /** Records ComfyUI's id of the prompt; false when the task was cancelled meanwhile. */
    async queued(task: TaskRow, promptId: string): Promise<boolean> {
      const updated = await db
        .updateTable('tasks')
        .set({ prompt_id: promptId })
        .where('id', '=', task.id)
        .where('status', '=', 'QUEUED')
        .executeTakeFirst();
      return updated.numUpdatedRows > 0n;
    },

    /** QUEUED → RUNNING, as ComfyUI starts the prompt. */
    async started(task: TaskRow): Promise<void> {
      await db
        .updateTable('tasks')
        .set({ status: 'RUNNING', started_at: clock.now().toISOString() })
        .where('id', '=', task.id)
        .where('status', 'in', transitions.start.from)
        .execute();
    },

    /**
     * Ends a task still in one of `from` (by default, any the event allows): the loser of a race
     * (a cancel against ComfyUI's end) gets false and changes nothing. Its slot is freed, its cost
     * given back with `refund`, and a SUCCESS or FAILED with a webhook has its call scheduled.
     */
    end(
      task: TaskRow,
      event: Exclude<TaskEvent, 'start'>,
      fields: { outputs?: string; failure?: string } = {},
      { refund = false, from = transitions[event].from } = {},
    ): Promise<boolean> {
      const now = clock.now().toISOString();
      const { to } = transitions[event];
      const notify = task.webhook_url !== null && to !== 'CANCELLED';
      return db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('tasks')
          .set({
            ...fields,
            status: to,
            ended_at: now,
            ...(notify && { webhook_state: 'pending' as const, webhook_due_at: now }),
          })
          .where('id', '=', task.id)
          .where('status', 'in', from)
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) {
          return false;
        }
        await release(trx, task, refund);
        return true;
      });
    },
  };
}

export type TaskRecords = ReturnType<typeof createTaskRecords>;
