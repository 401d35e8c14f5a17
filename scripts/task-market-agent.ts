// npm run task-market:agent -- <command> <agent-id> [...]
// What an operator does to task-market agents, on the database npm start uses (DATA_DIR).
import { systemClock } from '../src/platform/clock.ts';
import { taskMarketConfig } from '../src/task-market/config.ts';
import { openTaskMarketDatabase } from '../src/task-market/migrations.ts';
import { createOperators } from '../src/task-market/operators.ts';

const usage = `usage: npm run task-market:agent -- <command>
  add <openclaw-agent-id> <name> [points]   provision an OpenClaw agent, granting it points
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

if (!command || !agentId) {
  console.error(usage);
  process.exit(2);
}
const db = await openTaskMarketDatabase(taskMarketConfig().database);
const operators = createOperators(db, systemClock);
try {
  switch (command) {
    case 'add':
      await operators.provisionAgent({
        id: agentId,
        name: rest[0] ?? agentId,
        points: points(rest[1]),
      });
      break;
    case 'grant':
      await operators.grant(agentId, points(rest[0]));
      break;
    case 'disable':
    case 'enable':
      if (
        !(await operators.setAgentStatus(agentId, command === 'disable' ? 'disabled' : 'active'))
      ) {
        throw new Error(`no agent ${agentId}`);
      }
      break;
    case 'lock':
    case 'unlock':
      if (!(await operators.setAccountStatus(agentId, command === 'lock' ? 'locked' : 'active'))) {
        throw new Error(`no agent ${agentId}`);
      }
      break;
    default:
      console.error(usage);
      process.exit(2);
  }
  console.log(`${command} ${agentId}: done`);
} catch (error) {
  console.error(`${command} ${agentId}: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
