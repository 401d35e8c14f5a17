// One task-market instance as a process of its own, for the tests that run several instances
// on one database or kill one mid-load (test/task-market/process-harness.ts starts it):
//
//   node --import tsx test/task-market/server-process.ts
//
// Settings come from the environment, as `npm start` reads them (DATABASE_URL,
// TASK_MARKET_DATABASE, OPENCLAW_URL, TASK_MARKET_*; LOG_LEVEL, `warn` unless set). It listens
// on 127.0.0.1 at a port of the system's choosing and, once listening, prints one JSON line on
// stdout: {"origin": "http://127.0.0.1:<port>", "pid": <pid>}. SIGTERM closes it; so does the
// end of its stdin, so that it never outlives a test process that died without stopping it.

import { systemClock } from '../../src/platform/clock.ts';
import { Lifecycle } from '../../src/platform/lifecycle.ts';
import { listen, originOf } from '../../src/platform/listen.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startModule } from '../../src/platform/service-module.ts';
import { taskMarket } from '../../src/task-market/index.ts';

const logger = createLogger(process.env.LOG_LEVEL || 'warn');
const lifecycle = new Lifecycle();
const service = await startModule(taskMarket, taskMarket.settings(process.env), {
  clock: systemClock,
  logger,
  lifecycle,
  // As the in-process harness runs it: an answer that breaks the document is a failure.
  validateResponses: true,
});
const server = await listen(service.app, 0);
process.stdout.write(`${JSON.stringify({ origin: originOf(server), pid: process.pid })}\n`);

let closing = false;
function close() {
  if (closing) {
    return;
  }
  closing = true;
  lifecycle.beginShutdown();
  setTimeout(() => process.exit(1), 5_000).unref();
  server.close(async () => {
    await service.close().catch(() => undefined);
    process.exit(0);
  });
  server.closeIdleConnections();
}
process.once('SIGTERM', close);
process.stdin.on('end', close).on('error', close).resume();
