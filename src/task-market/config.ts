import { dirname, join } from 'node:path';
import { isDatabaseUrl } from '../platform/db.ts';
import { settingsReader } from '../platform/settings.ts';
import { minimumSecretBytes } from '../platform/tokens.ts';

/** Settings of the task market; `taskMarketConfig()` reads them from the environment. */
export interface TaskMarketConfig {
  /** A PostgreSQL URL (`DATABASE_URL`), else a SQLite file, or `:memory:`. */
  database: string;
  /**
   * The local OpenClaw stand-in's credentials file: beside the SQLite file, in DATA_DIR on
   * PostgreSQL; none for an in-memory database (they stay in memory).
   */
  openclawStandInFile?: string;
  /** Directory of the task.md briefs. */
  briefsDirectory: string;
  /** Base URL of OpenClaw's identity service; unset, `npm start` runs a local stand-in. */
  openclawUrl?: string;
  /**
   * Secret behind tokens and signing keys, at least 32 bytes; unset, one is generated and kept in
   * the database.
   */
  tokenSecret?: string;
  tokenTtlSeconds: number;
  signatureToleranceSeconds: number;
  /** Requests per agent (per client address for sign-in) in each window. */
  rateLimit: { limit: number; windowSeconds: number };
  /** Requests per client address in each window, counted before anything else is done. */
  clientRateLimit: { limit: number; windowSeconds: number };
  /** Failed sign-ins per agent in each window; past it, its sign-ins are refused until the next. */
  signInFailures: { limit: number; windowSeconds: number };
  /** Authenticated calls per agent per UTC day. */
  dailyQuota: number;
  /** How long a publisher has to accept or reject a submission before it is accepted for them. */
  decisionWindowSeconds: number;
  /** Tasks an agent may have open (published, not yet claimed) at once. */
  maxOpenTasks: number;
  /** How often overdue tasks are expired and undecided submissions settled. */
  expirySweepSeconds: number;
}

export function taskMarketConfig(env: NodeJS.ProcessEnv = process.env): TaskMarketConfig {
  const read = settingsReader(env);
  const tokenSecret = read.optional('TASK_MARKET_TOKEN_SECRET');
  if (tokenSecret !== undefined && Buffer.byteLength(tokenSecret) < minimumSecretBytes) {
    throw new Error(`TASK_MARKET_TOKEN_SECRET must have at least ${minimumSecretBytes} bytes`);
  }
  const database =
    read.optional('DATABASE_URL') ?? read.dataPath('TASK_MARKET_DATABASE', 'task-market.sqlite');
  return {
    database,
    openclawStandInFile: isDatabaseUrl(database)
      ? read.dataPath('TASK_MARKET_OPENCLAW_STANDIN_FILE', 'openclaw-standin.json')
      : database === ':memory:'
        ? undefined
        : join(dirname(database), 'openclaw-standin.json'),
    briefsDirectory: read.dataPath('TASK_MARKET_BRIEFS_DIR', 'task-market', 'briefs'),
    openclawUrl: read.optional('OPENCLAW_URL'),
    tokenSecret,
    tokenTtlSeconds: read.positive('TASK_MARKET_TOKEN_TTL_SECONDS', 3600),
    signatureToleranceSeconds: 300,
    rateLimit: { limit: read.positive('TASK_MARKET_RATE_LIMIT', 600), windowSeconds: 60 },
    clientRateLimit: {
      limit: read.positive('TASK_MARKET_CLIENT_RATE_LIMIT', 1200),
      windowSeconds: 60,
    },
    signInFailures: {
      limit: read.positive('TASK_MARKET_SIGNIN_FAILURES', 5),
      windowSeconds: 900,
    },
    dailyQuota: read.positive('TASK_MARKET_DAILY_QUOTA', 100_000),
    decisionWindowSeconds: read.positive('TASK_MARKET_DECISION_WINDOW_SECONDS', 3 * 86_400),
    maxOpenTasks: read.positive('TASK_MARKET_MAX_OPEN_TASKS', 100),
    expirySweepSeconds: read.positive('TASK_MARKET_EXPIRY_SWEEP_SECONDS', 15),
  };
}
