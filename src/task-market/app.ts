import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { Kysely } from 'kysely';
import { databaseIdempotency, type KeyConflict } from '../platform/idempotency.ts';
import { databaseReplayGuard } from '../platform/replays.ts';
import { createServiceApp } from '../platform/service-app.ts';
import type { ServiceContext } from '../platform/service-module.ts';
import type { PlatformTables } from '../platform/tables.ts';
import { createAuth } from './auth.ts';
import type { BriefStorage } from './briefs.ts';
import type { TaskMarketConfig } from './config.ts';
import type { Db } from './database.ts';
import { catalog, failureAnswers, TaskMarketError } from './errors.ts';
import { createHandlers } from './handlers.ts';
import { createLimits } from './limits.ts';
import type { OpenClaw } from './openclaw.ts';
import { createOperators, type Operators } from './operators.ts';
import { createTaskStore, type TaskStore } from './tasks.ts';

export interface TaskMarketOptions extends ServiceContext {
  db: Db;
  config: TaskMarketConfig;
  openclaw: OpenClaw;
  briefs: BriefStorage;
}

export interface TaskMarket {
  app: Express;
  db: Db;
  tasks: TaskStore;
  operators: Operators;
}

/** The task-market service on a migrated database: its app (under /task-market) and its tasks. */
export async function createTaskMarket(options: TaskMarketOptions): Promise<TaskMarket> {
  const { db, config, clock, logger } = options;
  const platformTables = db as unknown as Kysely<PlatformTables>;
  const auth = createAuth({
    db,
    clock,
    secret: await tokenSecret(db, config),
    tokenTtlSeconds: config.tokenTtlSeconds,
    signatureToleranceSeconds: config.signatureToleranceSeconds,
    replays: databaseReplayGuard(platformTables, clock),
  });
  const tasks = createTaskStore({ db, clock, log: logger, config, briefs: options.briefs });
  const limits = createLimits(config, platformTables, clock);
  const app = createServiceApp({
    catalog,
    document: 'generated/task-market/openapi.yaml',
    handlers: createHandlers({
      ...options,
      auth,
      tasks,
      openclaw: limits.guardSignIn(options.openclaw),
    }),
    security: { bearerAuth: auth.bearerAuth, requestSignature: auth.requestSignature },
    failures: failureAnswers,
    clientLimit: limits.clientLimit,
    admit: limits.admit,
    idempotency: {
      store: databaseIdempotency(platformTables, clock),
      scope: (caller) => (caller ? `agent:${caller.agent.id}` : 'anonymous'),
      refuse: (conflict) =>
        new TaskMarketError('INVALID_PARAMETER', {
          field: 'Idempotency-Key',
          reason: idempotencyConflicts[conflict],
        }),
    },
    validateResponses: options.validateResponses,
    lifecycle: options.lifecycle,
    logger,
  });
  return { app, db, tasks, operators: createOperators(db, clock) };
}

/** Why a write's Idempotency-Key is refused, for the details of INVALID_PARAMETER. */
const idempotencyConflicts: Record<KeyConflict, string> = {
  reused: 'this key was used for another request: use a new key for a new write',
  running: 'a request with this key is still running: send it again once it has answered',
};

/** The configured secret, else the one this database was given on its first start. */
async function tokenSecret(db: Db, config: TaskMarketConfig): Promise<Uint8Array> {
  if (config.tokenSecret) {
    return new TextEncoder().encode(config.tokenSecret);
  }
  await db
    .insertInto('settings')
    .values({ key: 'token_secret', value: randomBytes(32).toString('hex') })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .execute();
  const { value } = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'token_secret')
    .executeTakeFirstOrThrow();
  return Buffer.from(value, 'hex');
}
