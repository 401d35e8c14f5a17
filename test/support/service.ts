import { Lifecycle } from '../../src/platform/lifecycle.ts';
import { listen, originOf } from '../../src/platform/listen.ts';
import { createLogger, type Logger } from '../../src/platform/logger.ts';
import {
  type RunningService,
  type ServiceModule,
  startModule,
} from '../../src/platform/service-module.ts';
import { TestClock } from './clock.ts';

/** A service started as `npm start` starts it, with a test clock, on 127.0.0.1 at a free port. */
export interface TestService<Running extends RunningService> {
  /** `http://127.0.0.1:<port>`; the service answers under `/<service>`. */
  origin: string;
  clock: TestClock;
  lifecycle: Lifecycle;
  service: Running;
  close(): Promise<void>;
}

/**
 * Starts a service module with `settings`, its answers checked against its document, logging
 * to `logger` (nowhere by default).
 */
export async function startService<Settings, Running extends RunningService>(
  module: ServiceModule<Settings, Running>,
  settings: Settings,
  logger: Logger = createLogger('silent'),
): Promise<TestService<Running>> {
  const clock = new TestClock();
  const lifecycle = new Lifecycle();
  const service = await startModule(module, settings, {
    clock,
    lifecycle,
    logger,
    validateResponses: true,
  });
  const server = await listen(service.app, 0);
  return {
    origin: originOf(server),
    clock,
    lifecycle,
    service,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await service.close().catch(() => undefined);
    },
  };
}
