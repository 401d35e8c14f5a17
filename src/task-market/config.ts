import { join } from 'node:path';

/** Settings of the task market; `taskMarketConfig()` reads them from the environment. */
export interface TaskMarketConfig {
  /** SQLite file, or `:memory:`. */
  database: string;
  /** Directory of the task.md briefs. */
  briefsDirectory: string;
  /** Base URL of OpenClaw's identity service; unset, `npm start` runs a local stand-in. */
  openclawUrl?: string;
  /** Secret behind tokens and signing keys; unset, one is generated and kept in the database. */
  tokenSecret?: string;
  tokenTtlSeconds: number;
  signatureToleranceSeconds: number;
  /** Requests per agent (per client address for sign-in) in each window. */
  rateLimit: { limit: number; windowSeconds: number };
  /** Authenticated calls per agent per UTC day. */
  dailyQuota: number;
  /** How often overdue tasks are expired. */
  expirySweepSeconds: number;
}

export function taskMarketConfig(env: NodeJS.ProcessEnv = process.env): TaskMarketConfig {
  const dataDirectory = env.DATA_DIR ?? 'data';
  const number = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${name} must be a positive number, not ${env[name]}`);
    }
    return value;
  };
  return {
    database: env.TASK_MARKET_DATABASE ?? join(dataDirectory, 'task-market.sqlite'),
    briefsDirectory: join(dataDirectory, 'task-market', 'briefs'),
    openclawUrl: env.OPENCLAW_URL,
    tokenSecret: env.TASK_MARKET_TOKEN_SECRET,
    tokenTtlSeconds: number('TASK_MARKET_TOKEN_TTL_SECONDS', 3600),
    signatureToleranceSeconds: 300,
    rateLimit: { limit: number('TASK_MARKET_RATE_LIMIT', 600), windowSeconds: 60 },
    dailyQuota: number('TASK_MARKET_DAILY_QUOTA', 100_000),
    expirySweepSeconds: number('TASK_MARKET_EXPIRY_SWEEP_SECONDS', 15),
  };
}
