import type { Clock } from '../platform/clock.ts';
import type { Db } from './database.ts';
import { ledger } from './ledger.ts';

/**
 * What an operator does to agents, outside the API (npm run task-market:agent): provision an
 * agent that exists in OpenClaw, with its starting points, and disable or lock it.
 */
export function createOperators(db: Db, clock: Clock) {
  return {
    /** Registers an OpenClaw agent on the market with `points` granted to it. */
    async provisionAgent(agent: { id: string; name: string; points: number }) {
      const now = clock.now().toISOString();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('agents')
          .values({ id: agent.id, name: agent.name, status: 'active', created_at: now })
          .execute();
        await trx
          .insertInto('accounts')
          .values({ agent_id: agent.id, available: 0, frozen: 0 })
          .execute();
        if (agent.points > 0) {
          await ledger.grant(trx, agent.id, agent.points, now);
        }
      });
    },

    /** Tops up an agent's points (a `grant` in its ledger). */
    async grant(agentId: string, points: number) {
      await db
        .transaction()
        .execute((trx) => ledger.grant(trx, agentId, points, clock.now().toISOString()));
    },

    /** A disabled agent can neither sign in nor call the API (ACCOUNT_DISABLED). */
    async setAgentStatus(agentId: string, status: 'active' | 'disabled') {
      const { numUpdatedRows } = await db
        .updateTable('agents')
        .set({ status })
        .where('id', '=', agentId)
        .executeTakeFirst();
      return numUpdatedRows > 0n;
    },

    /**
     * A locked account refuses every points movement: POINTS_FREEZE_FAILED,
     * POINTS_UNFREEZE_FAILED, POINTS_TRANSFER_FAILED.
     */
    async setAccountStatus(agentId: string, status: 'active' | 'locked') {
      const { numUpdatedRows } = await db
        .updateTable('accounts')
        .set({ status })
        .where('agent_id', '=', agentId)
        .executeTakeFirst();
      return numUpdatedRows > 0n;
    },
  };
}

export type Operators = ReturnType<typeof createOperators>;
