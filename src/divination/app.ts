import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { operations } from '../../generated/divination/schema.d.ts';
import { createServiceApp } from '../platform/service-app.ts';
import type { ServiceContext } from '../platform/service-module.ts';
import type { Asr } from './asr.ts';
import { type Auth, type Caller, createAuth } from './auth.ts';
import type { AuthProvider } from './auth-provider.ts';
import type { DivinationConfig } from './config.ts';
import type { Db } from './database.ts';
import { catalog, type ErrorName } from './errors.ts';
import { failureAnswers } from './failures.ts';
import { avatarUrl, createAccountHandlers } from './handlers/account-handlers.ts';
import { createAgentHandlers } from './handlers/agent-handlers.ts';
import { createAuthHandlers } from './handlers/auth-handlers.ts';
import {
  createFileHandlers,
  divinationUploadRules,
  refuseUpload,
} from './handlers/file-handlers.ts';
import type { Llm } from './llm.ts';
import type { Storage } from './storage.ts';

export interface DivinationOptions extends ServiceContext {
  db: Db;
  config: DivinationConfig;
  provider: AuthProvider;
  llm: Llm;
  asr: Asr;
  storage: Storage;
  /** Behind tokens (and the storage's signed URLs): see `divinationSecret`. */
  secret: Uint8Array;
}

export interface Divination {
  app: Express;
  db: Db;
  auth: Auth;
  /** Ends this instance's live runs (each with RUN_ERROR, refunded) and waits for them. */
  close(): Promise<void>;
}

/** The divination service on a migrated database: its app (under /divination). */
export function createDivination(options: DivinationOptions): Divination {
  const { db, config, clock, logger, storage } = options;
  const auth = createAuth({
    db,
    clock,
    config,
    provider: options.provider,
    secret: options.secret,
  });
  const { close, stopUserRuns, ...agentHandlers } = createAgentHandlers({
    db,
    clock,
    config,
    llm: options.llm,
    logger,
    storage,
  });
  const app = createServiceApp<ErrorName, Caller, operations>({
    catalog,
    document: 'generated/divination/openapi.yaml',
    handlers: {
      ...createAuthHandlers({
        db,
        auth,
        config,
        avatarUrl: avatarUrl(storage, config.storage.urlTtlSeconds),
      }),
      ...agentHandlers,
      ...createFileHandlers({ db, clock, config, storage, asr: options.asr }),
      ...createAccountHandlers({ db, clock, config, storage, stopRuns: stopUserRuns }),
    },
    security: { bearerAuth: (request) => auth.bearerAuth(request) },
    failures: failureAnswers,
    uploads: { rules: divinationUploadRules, refuse: refuseUpload },
    validateResponses: options.validateResponses,
    lifecycle: options.lifecycle,
    logger,
  });
  return { app, db, auth, close };
}

/** The configured secret, else the one this database was given on its first start. */
export async function divinationSecret(db: Db, config: DivinationConfig): Promise<Uint8Array> {
  if (config.secret) {
    return new TextEncoder().encode(config.secret);
  }
  await db
    .insertInto('settings')
    .values({ key: 'secret', value: randomBytes(32).toString('hex') })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .execute();
  const { value } = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'secret')
    .executeTakeFirstOrThrow();
  return Buffer.from(value, 'hex');
}
