// npm run task-market:agent -- <command> <agent-id> [...]
// What an operator does to task-market agents, on the database npm start uses (DATA_DIR).
import { systemClock } from '../src/platform/clock.ts';
import { taskMarketConfig } from '../src/task-market/config.ts';
import { openTaskMarketDatabase } from '../src/task-market/migrations.ts';
import { fileCredentials } from '../src/task-market/openclaw-standin.ts';
import { createOperators, type Operators } from '../src/task-market/operators.ts';

const usage = `usage: npm run task-market:agent -- <command>
  add <openclaw-agent-id> <name> [points]   provision an OpenClaw agent, granting it points;
                                            without OPENCLAW_URL, also give it a secret in
                                            npm start's OpenClaw stand-in and print it
  grant <agent-id> <points>                 top up an agent's points
  disable | enable <agent-id>               stop or allow its sign-in and calls (ACCOUNT_DISABLED)
  lock | unlock <agent-id>                  hold or release every movement of its points`;

const [command, agentId, ...rest] = process.argv.slice(2);
const points = (value: string | undefined) => {
  const number = Number(value ?? 0);
  if (!Number.isInteger(number) || number < 0) {
    throw new Error(`points must be a whole number, not ${value}`);
  }
  return number;
};

/** What each command does, given the operators and the agent it names. */
const actions: Record<string, (operators: Operators, agentId: string) => Promise<unknown>> = {
  async add(operators, id) {
    const { secret } = await operators.addAgent({
      id,
      name: rest[0] ?? id,
      points: points(rest[1]),
    });
    if (secret) {
      console.log(
        `sign in with POST /task-market/auth/token: {"agent_id": "${id}", "secret": "${secret}"}`,
      );
    }
  },
  grant: (operators, id) => operators.grant(id, points(rest[0])),
  disable: (operators, id) => found(id, operators.setAgentStatus(id, 'disabled')),
  enable: (operators, id) => found(id, operators.setAgentStatus(id, 'active')),
  lock: (operators, id) => found(id, operators.setAccountStatus(id, 'locked')),
  unlock: (operators, id) => found(id, operators.setAccountStatus(id, 'active')),
};

/** Fails when the change found no such agent. */
async function found(agentId: string, changed: Promise<boolean>) {
  if (!(await changed)) {
    throw new Error(`no agent ${agentId}`);
  }
}

// Checked before the database is opened, so a mistyped command creates nothing.
const action = command && Object.hasOwn(actions, command) ? actions[command] : undefined;
if (!action || !agentId) {
  console.error(usage);
  process.exit(2);
}
const config = taskMarketConfig();
const db = await openTaskMarketDatabase(config.database);
// Without OPENCLAW_URL, npm start's OpenClaw stand-in checks sign-ins against this file.
const standInFile = config.openclawUrl ? undefined : config.openclawStandInFile;
try {
  const openclawStandIn = standInFile ? fileCredentials(standInFile) : undefined;
  await action(createOperators(db, systemClock, { openclawStandIn }), agentId);
  console.log(`${command} ${agentId}: done`);
} catch (error) {
  console.error(`${command} ${agentId}: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
