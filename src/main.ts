// npm start (after npm run docs): every service under /<service> on PORT (default 8080), the
// docs under /docs, and the mock of every document on MOCK_PORT (default 4010).

import { createMockServer } from '../mocks/server.ts';
import { builtServices } from './build/services.ts';
import { createPlatformApp } from './platform/app.ts';
import { systemClock } from './platform/clock.ts';
import { Lifecycle } from './platform/lifecycle.ts';
import { listen } from './platform/listen.ts';
import { createLogger } from './platform/logger.ts';
import { type RunningService, startModule } from './platform/service-module.ts';
import { settingsReader } from './platform/settings.ts';
import { serviceModules } from './services.ts';

const port = Number(process.env.PORT ?? 8080);
const mockPort = Number(process.env.MOCK_PORT ?? 4010);
// Loopback unless told: a sandbox with demo credentials is not for the network by default.
const host = process.env.HOST ?? '127.0.0.1';
const logger = createLogger();
const lifecycle = new Lifecycle();
const validateResponses = process.env.NODE_ENV !== 'production';

const running: { name: string; service: RunningService }[] = [];
for (const module of serviceModules) {
  const context = { clock: systemClock, logger, lifecycle, validateResponses };
  const service = await startModule(module, module.settings(process.env), context);
  running.push({ name: module.name, service });
}
const documents = builtServices();
const app = createPlatformApp(
  documents,
  running.map(({ service }) => service.app),
);
// The service apps read it from here, where they are mounted.
app.set('trust proxy', settingsReader(process.env).trustProxy('TRUST_PROXY'));
const mock = await createMockServer(documents, process.env.MOCK_LOG_LEVEL);
await new Promise<void>((resolve, reject) => {
  mock.once('error', reject).listen(mockPort, host, resolve);
});
const server = await listen(app, port, host);
logger.info({ host, port, mockPort, validateResponses }, 'listening');
process.stdout.write(welcome(host === '0.0.0.0' || host === '::' ? 'localhost' : host));

/** What `npm start` prints: where everything is, and what each service needs a user to know. */
function welcome(hostname: string): string {
  const base = `http://${hostname}:${port}`;
  const services = running.map(
    ({ name, service }) =>
      `  ${name}: ${base}/${name}\n${service.notes.map((note) => `    ${note}\n`).join('')}`,
  );
  return (
    `\napi-contracts on ${base}\n` +
    `  docs: ${base}/docs\n` +
    `  mock of every document: http://${hostname}:${mockPort}/<service> (Prefer: example=<CODE>)\n` +
    `${services.join('')}\n`
  );
}

/**
 * SIGTERM: refuse new requests (each catalog's `draining` answer), finish the running ones, then
 * close every service.
 */
async function shutdown(signal: string) {
  logger.info({ signal }, 'shutting down');
  lifecycle.beginShutdown();
  setTimeout(() => process.exit(1), 10_000).unref();
  mock.close();
  mock.closeIdleConnections();
  server.close(async () => {
    await Promise.all(running.map(({ service }) => service.close()));
    process.exit(0);
  });
  server.closeIdleConnections();
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
