// npm start (after npm run docs): every service under /<service> on PORT (default 8080), the
// docs under /docs, and the mock of every document on MOCK_PORT (default 4010).

import { createMockServer } from './mock/server.ts';
import { createPlatformApp } from './platform/app.ts';
import { systemClock } from './platform/clock.ts';
import { builtServices } from './build/services.ts';
import { Lifecycle } from './platform/lifecycle.ts';
import { createLogger } from './platform/logger.ts';
import { taskMarketConfig } from './task-market/config.ts';
import { demoAgents } from './task-market/demo.ts';
import { startTaskMarket } from './task-market/start.ts';

const port = Number(process.env.PORT ?? 8080);
const mockPort = Number(process.env.MOCK_PORT ?? 4010);
const logger = createLogger();
const lifecycle = new Lifecycle();
const validateResponses = process.env.NODE_ENV !== 'production';

const taskMarket = await startTaskMarket({
  config: taskMarketConfig(),
  clock: systemClock,
  logger,
  lifecycle,
  validateResponses,
});
const documents = builtServices();
const app = createPlatformApp(documents, [taskMarket.app]);
const mock = await createMockServer(documents, process.env.MOCK_LOG_LEVEL);
mock.listen(mockPort);
const server = app.listen(port, () => {
  const base = `http://localhost:${port}`;
  logger.info({ port, mockPort, validateResponses }, 'listening');
  process.stdout.write(
    `\napi-contracts on ${base}\n` +
      `  docs: ${base}/docs\n` +
      `  mock of every document: http://localhost:${mockPort}/<service> (Prefer: example=<CODE>)\n` +
      `  task-market: ${base}/task-market (OpenClaw: ${taskMarket.openclawUrl})\n` +
      (taskMarket.seededDemo
        ? `  demo agents (sign in with POST ${base}/task-market/auth/token):\n${demoAgents
            .map(
              (agent) =>
                `    ${agent.name}: {"agent_id": "${agent.id}", "secret": "${agent.secret}"}\n`,
            )
            .join('')}`
        : '') +
      '\n',
  );
});

/**
 * SIGTERM: refuse new requests (SERVICE_UNAVAILABLE), finish the running ones, then close the
 * databases.
 */
async function shutdown(signal: string) {
  logger.info({ signal }, 'shutting down');
  lifecycle.beginShutdown();
  setTimeout(() => process.exit(1), 10_000).unref();
  mock.close();
  mock.closeIdleConnections();
  server.close(async () => {
    await taskMarket.close();
    process.exit(0);
  });
  server.closeIdleConnections();
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
