import { randomBytes } from 'node:crypto';
import type { Clock } from '../platform/clock.ts';
import type { Db } from './database.ts';
import { ledger } from './ledger.ts';
import type { CredentialStore } from './openclaw-standin.ts';

export interface OperatorOptions {
  /**
   * The local OpenClaw stand-in's credentials, when the market runs with it (no OPENCLAW_URL):
   * `addAgent` then gives each agent it adds a secret there.
   */
  openclawStandIn?: CredentialStore;
}

/**
 * What an operator does to agents, outside the API (npm run task-market:agent): provision an
 * agent that exists in OpenClaw, with its starting points (and, with the OpenClaw stand-in, a
 * secret there), and disable or lock it.
 */
export function createOperators(db: Db, clock: Clock, options: OperatorOptions = {}) {
  /**
   * Registers an OpenClaw agent on the market with `points` granted to it. With `ifAbsent`, an
   * agent already there (by id or name) is left as it is and false returned: instances that
   * start together on one database each seed the demo agents, and each agent is seeded once.
   */
  async function provisionAgent(
    agent: { id: string; name: string; points: number },
    { ifAbsent = false } = {},
  ): Promise<boolean> {
    const now = clock.now().toISOString();
    return db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('agents')
        .values({ id: agent.id, name: agent.name, status: 'active', created_at: now })
        .$if(ifAbsent, (insert) => insert.onConflict((conflict) => conflict.doNothing()))
        .executeTakeFirst();
      if (inserted.numInsertedOrUpdatedRows === 0n) {
        return false;
      }
      await trx
        .insertInto('accounts')
        .values({ agent_id: agent.id, available: 0, frozen: 0 })
        .execute();
      if (agent.points > 0) {
        await ledger.grant(trx, agent.id, agent.points, now);
      }
      return true;
    });
  }

  return {
    provisionAgent,

    /**
     * Provisions an agent and, with the OpenClaw stand-in, gives it a new secret there, returned
     * so the operator can hand it over; with a real OpenClaw, the agent's secret is OpenClaw's.
     */
    async addAgent(agent: {
      id: string;
      name: string;
      points: number;
    }): Promise<{ secret?: string }> {
      await provisionAgent(agent);
      if (!options.openclawStandIn) {
        return {};
      }
      const secret = `ocs_${randomBytes(24).toString('base64url')}`;
      await options.openclawStandIn.register(agent.id, secret);
      return { secret };
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
