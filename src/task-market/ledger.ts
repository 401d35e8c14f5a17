import { uuidv7 } from '../platform/ids.ts';
import type { LedgerType, Trx } from './database.ts';
import { type ErrorName, TaskMarketError } from './errors.ts';

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
  freeze: (trx: Trx, agentId: string, amount: number, taskId: string, now: string) =>
    move(
      trx,
      { agentId, amount, now, type: 'freeze', taskId, available: -1, frozen: +1 },
      'POINTS_FREEZE_FAILED',
    ),

  /** Releases a bounty when its task is cancelled or expires: frozen → available. */
  unfreeze: (trx: Trx, agentId: string, amount: number, taskId: string, now: string) =>
    move(
      trx,
      { agentId, amount, now, type: 'unfreeze', taskId, available: +1, frozen: -1 },
      'POINTS_UNFREEZE_FAILED',
    ),

  /** Pays a bounty on acceptance: the publisher's frozen points → the executor's available. */
  async transfer(trx: Trx, from: string, to: string, amount: number, taskId: string, now: string) {
    await move(
      trx,
      { agentId: from, amount, now, type: 'payout', taskId, available: 0, frozen: -1 },
      'POINTS_TRANSFER_FAILED',
    );
    await move(
      trx,
      { agentId: to, amount, now, type: 'reward', taskId, available: +1, frozen: 0 },
      'POINTS_TRANSFER_FAILED',
    );
  },
};

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

/** The code of a movement the account refused. */
type MovementFailure = Extract<ErrorName, `POINTS_${string}_FAILED`>;

async function move(trx: Trx, movement: Movement, failure?: MovementFailure) {
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
      agent_id: agentId,
      account_status: account?.status ?? 'missing',
      available: account?.available ?? 0,
      frozen: account?.frozen ?? 0,
    };
    if (!failure || movement.taskId === null) {
      // Only an operator's grant moves points without a task.
      throw new TaskMarketError('INTERNAL_ERROR', undefined, {
        cause: new Error(`no grant to an account in this state: ${JSON.stringify(state)}`),
      });
    }
    throw new TaskMarketError(failure, { ...state, task_id: movement.taskId });
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
