import type { Clock } from '../platform/clock.ts';
import type { Lifecycle } from '../platform/lifecycle.ts';
import type { Logger } from '../platform/logger.ts';
import { createTaskMarket, type TaskMarket } from './app.ts';
import { fileBriefStorage } from './briefs.ts';
import type { TaskMarketConfig } from './config.ts';
import { demoAgents } from './demo.ts';
import { openTaskMarketDatabase } from './migrations.ts';
import { openClawClient } from './openclaw.ts';
import { startOpenClawStandIn } from './openclaw-standin.ts';

export interface RunningTaskMarket extends TaskMarket {
  /** Where agents sign in: OPENCLAW_URL, or the local stand-in's address. */
  openclawUrl: string;
  /** Whether this start provisioned the demo agents on an empty database. */
  seededDemo: boolean;
  close(): Promise<void>;
}

/**
 * The task market as `npm start` runs it: its SQLite file migrated, the demo agents provisioned
 * on an empty database, a local OpenClaw stand-in unless OPENCLAW_URL is set, and the sweep
 * that expires overdue tasks.
 */
export async function startTaskMarket(options: {
  config: TaskMarketConfig;
  clock: Clock;
  logger: Logger;
  lifecycle: Lifecycle;
  validateResponses: boolean;
}): Promise<RunningTaskMarket> {
  const { config } = options;
  const logger = options.logger.child({ service: 'task-market' });
  const db = await openTaskMarketDatabase(config.database);
  const standIn = config.openclawUrl
    ? undefined
    : await startOpenClawStandIn(new Map(demoAgents.map((agent) => [agent.id, agent.secret])));
  const openclawUrl = config.openclawUrl ?? (standIn?.url as string);

  const market = await createTaskMarket({
    ...options,
    db,
    logger,
    openclaw: openClawClient(openclawUrl),
    briefs: fileBriefStorage(config.briefsDirectory),
  });

  const empty = (await db.selectFrom('agents').select('id').limit(1).execute()).length === 0;
  if (empty) {
    for (const agent of demoAgents) {
      await market.operators.provisionAgent(agent);
    }
  }
  const sweep = setInterval(() => {
    market.tasks
      .expireOverdue()
      .catch((error) => logger.error({ err: error }, 'expiry sweep failed'));
  }, config.expirySweepSeconds * 1000);
  sweep.unref();

  return {
    ...market,
    openclawUrl,
    seededDemo: empty,
    async close() {
      clearInterval(sweep);
      await standIn?.close();
      await db.destroy();
    },
  };
}
