import type { RunningService, ServiceContext, ServiceModule } from '../platform/service-module.ts';
import { createTaskMarket, type TaskMarket } from './app.ts';
import { fileBriefStorage } from './briefs.ts';
import { type TaskMarketConfig, taskMarketConfig } from './config.ts';
import { demoAgents } from './demo.ts';
import { openTaskMarketDatabase } from './migrations.ts';
import { openClawClient } from './openclaw.ts';
import {
  type CredentialStore,
  fileCredentials,
  memoryCredentials,
  startOpenClawStandIn,
} from './openclaw-standin.ts';

export interface RunningTaskMarket extends TaskMarket, RunningService {}

/**
 * The task market: its SQLite file migrated; unless OPENCLAW_URL is set, a local OpenClaw
 * stand-in that knows the demo agents (provisioned on an empty database) and those an operator
 * adds (its credentials file beside the database); and the sweep that expires overdue tasks and
 * settles submissions left unanswered.
 */
export const taskMarket: ServiceModule<TaskMarketConfig, RunningTaskMarket> = {
  name: 'task-market',
  settings: taskMarketConfig,
  start: startTaskMarket,
  async migrate(config) {
    const db = await openTaskMarketDatabase(config.database);
    await db.destroy();
  },
};

async function startTaskMarket(
  config: TaskMarketConfig,
  context: ServiceContext,
): Promise<RunningTaskMarket> {
  const { logger } = context;
  const db = await openTaskMarketDatabase(config.database);
  const standIn = config.openclawUrl
    ? undefined
    : await startOpenClawStandIn(await standInCredentials(config));
  const openclawUrl = config.openclawUrl ?? (standIn?.url as string);

  const market = await createTaskMarket({
    ...context,
    config,
    db,
    openclaw: openClawClient(openclawUrl),
    briefs: fileBriefStorage(config.briefsDirectory),
  });

  // The demo agents' secrets are the stand-in's: with a real OpenClaw they could never sign in.
  // Only an empty database gets them; instances starting together on one seed each agent once.
  const empty = (await db.selectFrom('agents').select('id').limit(1).execute()).length === 0;
  const seedDemo = standIn !== undefined && empty;
  if (seedDemo) {
    for (const agent of demoAgents) {
      await market.operators.provisionAgent(agent, { ifAbsent: true });
    }
  }
  const sweep = setInterval(() => {
    market.tasks
      .expireOverdue()
      .catch((error) => logger.error({ err: error }, 'expiry and settlement sweep failed'));
  }, config.expirySweepSeconds * 1000);
  sweep.unref();

  return {
    ...market,
    notes: [
      `OpenClaw: ${openclawUrl}${standIn ? ' (local stand-in)' : ''}`,
      ...(standIn
        ? [
            '  add an agent and get its secret: npm run task-market:agent -- add <agent-id> <name> [points]',
          ]
        : []),
      ...(seedDemo
        ? [
            'demo agents (sign in with POST /task-market/auth/token):',
            ...demoAgents.map(
              (agent) =>
                `  ${agent.name}: {"agent_id": "${agent.id}", "secret": "${agent.secret}"}`,
            ),
          ]
        : []),
    ],
    async close() {
      clearInterval(sweep);
      await standIn?.close();
      await db.destroy();
    },
  };
}

/**
 * The stand-in's credentials: the demo agents' and those `npm run task-market:agent -- add`
 * registers, in its file (read on every sign-in; `openclawStandInFile`), or in memory for an
 * in-memory database.
 */
async function standInCredentials(config: TaskMarketConfig): Promise<CredentialStore> {
  const file = config.openclawStandInFile;
  const credentials = file ? fileCredentials(file) : memoryCredentials();
  for (const agent of demoAgents) {
    if (!(await credentials.verify(agent.id, agent.secret))) {
      await credentials.register(agent.id, agent.secret);
    }
  }
  return credentials;
}
