import { uuidv7 } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import type { LedgerType, TaskRow, Trx } from './database.ts';
import { type ErrorName, TaskMarketError } from './errors.ts';

/** Who moves points: the agent whose request it is (none for the sweep), and where to log. */
export interface Mover {
  /** The calling agent; `null` when the server moves points on its own (expiry, settlement). */
  callerId: string | null;
  log: Logger;
  requestId?: string;
}

type TaskPoints = Pick<TaskRow, 'id' | 'publisher_id' | 'executor_id' | 'bounty'>;

/**
 * The points ledger. Every function runs inside the caller's transaction, changes one or two
 * accounts with a guarded UPDATE (so a concurrent change can never overdraw) and writes one
 * entry per account changed. Points only enter through `grant`; the rest moves them.
 */
export const ledger = {
  /** Provisioning: points an operator gives an agent. */
  grant: (trx: Trx, agentId: string, amount: number, now: string) =>
    move(trx, { agentId, amount, now, type: 'grant', taskId: null, available: +1, frozen: 0 }),

  /** Holds a bounty when a task is published: available → frozen. */
  freeze: (trx: Trx, task: TaskPoints, now: string, mover: Mover) =>
    move(
      trx,
      { ...publisher(task, now), type: 'freeze', available: -1, frozen: +1 },
      { code: 'POINTS_FREEZE_FAILED', party: 'publisher', mover },
    ),

  /** Releases a bounty when its task is cancelled or expires: frozen → available. */
  unfreeze: (trx: Trx, task: TaskPoints, now: string, mover: Mover) =>
    move(
      trx,
      { ...publisher(task, now), type: 'unfreeze', available: +1, frozen: -1 },
      { code: 'POINTS_UNFREEZE_FAILED', party: 'publisher', mover },
    ),

  /** Pays a bounty on acceptance: the publisher's frozen points → the executor's available. */
  async transfer(trx: Trx, task: TaskPoints, now: string, mover: Mover) {
    if (task.executor_id === null) {
      throw new Error(`task ${task.id} has no executor to pay`);
    }
    const moves: [Movement, Refusal][] = [
      [
        { ...publisher(task, now), type: 'payout', available: 0, frozen: -1 },
        { code: 'POINTS_TRANSFER_FAILED', party: 'publisher', mover },
      ],
      [
        {
          agentId: task.executor_id,
          amount: task.bounty,
          now,
          taskId: task.id,
          type: 'reward',
          available: +1,
          frozen: 0,
        },
        { code: 'POINTS_TRANSFER_FAILED', party: 'executor', mover },
      ],
    ];
    // Accounts are always locked in the order of their ids: two transfers between the same two
    // agents in opposite directions would otherwise each wait for the other (PostgreSQL).
    moves.sort(([a], [b]) => (a.agentId < b.agentId ? -1 : 1));
    for (const [movement, refusal] of moves) {
      await move(trx, movement, refusal);
    }
  },
};

const publisher = (task: TaskPoints, now: string) => ({
  agentId: task.publisher_id,
  amount: task.bounty,
  now,
  taskId: task.id,
});

interface Movement {
  agentId: string;
  amount: number;
  now: string;
  type: LedgerType;
  taskId: string | null;
  /** Direction of the change of each balance: +1 adds `amount`, -1 takes it, 0 leaves it. */
  available: -1 | 0 | 1;
  frozen: -1 | 0 | 1;
}

/** How a refused movement of a task's points is answered: its code and whose account it was. */
interface Refusal {
  code: Extract<ErrorName, `POINTS_${string}_FAILED`>;
  party: 'publisher' | 'executor';
  mover: Mover;
}

async function move(trx: Trx, movement: Movement, refusal?: Refusal) {
  const { agentId, amount } = movement;
  let update = trx
    .updateTable('accounts')
    .set((eb) => ({
      available: eb('available', '+', movement.available * amount),
      frozen: eb('frozen', '+', movement.frozen * amount),
    }))
    .where('agent_id', '=', agentId)
    .where('status', '=', 'active');
  if (movement.available < 0) {
    update = update.where('available', '>=', amount);
  }
  if (movement.frozen < 0) {
    update = update.where('frozen', '>=', amount);
  }
  const balances = await update.returning(['available', 'frozen']).executeTakeFirst();
  if (!balances) {
    const account = await trx
      .selectFrom('accounts')
      .select(['available', 'frozen', 'status'])
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    // Spending more than is available is the caller's shortfall, not a failed movement.
    if (movement.type === 'freeze' && account?.status === 'active' && account.available < amount) {
      throw new TaskMarketError('POINTS_INSUFFICIENT', {
        required: amount,
        available: account.available,
      });
    }
    const state = {
      account_status: account?.status ?? 'missing',
      available: account?.available ?? 0,
      frozen: account?.frozen ?? 0,
    };
    if (!refusal || movement.taskId === null) {
      // Only an operator's grant moves points without a task.
      throw new TaskMarketError('INTERNAL_ERROR', undefined, {
        cause: new Error(
          `no grant to an account in this state: ${JSON.stringify({ agent_id: agentId, ...state })}`,
        ),
      });
    }
    const { code, party, mover } = refusal;
    const details = { task_id: movement.taskId, party };
    if (mover.callerId === agentId) {
      throw new TaskMarketError(code, { ...details, ...state });
    }
    // Another agent's account: its state is for the logs, never for the caller.
    mover.log.warn(
      { request_id: mover.requestId, code, ...details, agent_id: agentId, ...state },
      'points movement refused by the other party’s account',
    );
    throw new TaskMarketError(code, details);
  }
  await trx
    .insertInto('ledger_entries')
    .values({
      id: uuidv7(),
      agent_id: agentId,
      type: movement.type,
      amount,
      task_id: movement.taskId,
      available_after: balances.available,
      frozen_after: balances.frozen,
      created_at: movement.now,
    })
    .execute();
}
