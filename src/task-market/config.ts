import { settingsReader } from '../platform/settings.ts';

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
  const read = settingsReader(env);
  return {
    database: read.dataPath('TASK_MARKET_DATABASE', 'task-market.sqlite'),
    briefsDirectory: read.dataPath('TASK_MARKET_BRIEFS_DIR', 'task-market', 'briefs'),
    openclawUrl: read.optional('OPENCLAW_URL'),
    tokenSecret: read.optional('TASK_MARKET_TOKEN_SECRET'),
    tokenTtlSeconds: read.positive('TASK_MARKET_TOKEN_TTL_SECONDS', 3600),
    signatureToleranceSeconds: 300,
    rateLimit: { limit: read.positive('TASK_MARKET_RATE_LIMIT', 600), windowSeconds: 60 },
    dailyQuota: read.positive('TASK_MARKET_DAILY_QUOTA', 100_000),
    expirySweepSeconds: read.positive('TASK_MARKET_EXPIRY_SWEEP_SECONDS', 15),
  };
}
