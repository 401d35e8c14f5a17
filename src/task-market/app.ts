import { randomBytes } from 'node:crypto';
import type { Express, Request } from 'express';
import { FixedWindowLimiter } from '../platform/limits.ts';
import { createServiceApp } from '../platform/service-app.ts';
import type { ServiceContext } from '../platform/service-module.ts';
import { type Caller, createAuth } from './auth.ts';
import type { BriefStorage } from './briefs.ts';
import type { TaskMarketConfig } from './config.ts';
import type { Db } from './database.ts';
import { catalog, failureAnswers, TaskMarketError } from './errors.ts';
import { createHandlers } from './handlers.ts';
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
  const auth = createAuth({
    db,
    clock,
    secret: await tokenSecret(db, config),
    tokenTtlSeconds: config.tokenTtlSeconds,
    signatureToleranceSeconds: config.signatureToleranceSeconds,
  });
  const tasks = createTaskStore({ db, clock, log: logger });
  const rate = new FixedWindowLimiter(
    config.rateLimit.limit,
    config.rateLimit.windowSeconds,
    clock,
  );
  const quota = new FixedWindowLimiter(config.dailyQuota, 86_400, clock);

  /** Every request counts against its agent's rate limit (sign-in: its address's) and quota. */
  function admit(request: Request, caller: Caller | null) {
    const limited = rate.take(caller ? `agent:${caller.agent.id}` : `address:${request.ip}`);
    if (!limited.allowed) {
      throw new TaskMarketError('RATE_LIMITED', {
        retry_after: limited.retryAfter,
        limit: rate.limit,
        window: `${rate.windowSeconds}s`,
      });
    }
    if (caller) {
      const quotaLeft = quota.take(caller.agent.id);
      if (!quotaLeft.allowed) {
        throw new TaskMarketError('QUOTA_EXCEEDED', {
          retry_after: quotaLeft.retryAfter,
          limit: quota.limit,
          window: '1d',
        });
      }
    }
  }

  const app = createServiceApp({
    catalog,
    document: 'generated/task-market/openapi.yaml',
    handlers: createHandlers({ ...options, auth, tasks }),
    security: { bearerAuth: auth.bearerAuth, requestSignature: auth.requestSignature },
    failures: failureAnswers,
    admit,
    validateResponses: options.validateResponses,
    lifecycle: options.lifecycle,
    logger,
  });
  return { app, db, tasks, operators: createOperators(db, clock) };
}

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
