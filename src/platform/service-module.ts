import type { Express } from 'express';
import type { Clock } from './clock.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Logger } from './logger.ts';

/** What every service gets from the process that runs it. */
export interface ServiceContext {
  clock: Clock;
  /** The process's logger; startModule gives each service a child with its name. */
  logger: Logger;
  /** Turns to draining on SIGTERM: new requests get the catalog's `draining` answer. */
  lifecycle: Lifecycle;
  /** Whether answers are checked against the document too (not in production). */
  validateResponses: boolean;
}

/** A started service: its app (mounted at /<service>), what a user must know, how to stop it. */
export interface RunningService {
  app: Express;
  /** Lines `npm start` prints: demo credentials, stand-in upstreams. */
  notes: string[];
  /** Stops what the service started (sweeps, stand-ins) and closes its database. */
  close(): Promise<void>;
}

/**
 * One service, as `npm start` and the tests run it: its settings read from the environment,
 * and how to start it from them. Adding a service is a folder exporting one of these and a line
 * in src/services.ts.
 */
export interface ServiceModule<
  Settings = unknown,
  Running extends RunningService = RunningService,
> {
  name: string;
  /** The settings from environment variables; throws a message naming the bad variable. */
  settings(env: NodeJS.ProcessEnv): Settings;
  start(settings: Settings, context: ServiceContext): Promise<Running>;
  /**
   * Brings the service's database to its latest schema and closes it (`npm run db:migrate`);
   * `start` does the same. Absent for a service without a database.
   */
  migrate?(settings: Settings): Promise<void>;
}

/** Starts a module as every runner does: its logger a child named after the service. */
export function startModule<Settings, Running extends RunningService>(
  module: ServiceModule<Settings, Running>,
  settings: Settings,
  context: ServiceContext,
): Promise<Running> {
  return module.start(settings, {
    ...context,
    logger: context.logger.child({ service: module.name }),
  });
}
