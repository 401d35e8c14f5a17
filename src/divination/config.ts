import { settingsReader } from '../platform/settings.ts';
import { minimumSecretBytes } from '../platform/tokens.ts';

/** Settings of divination; `divinationConfig()` reads them from the environment. */
export interface DivinationConfig {
  /** A PostgreSQL URL (`DATABASE_URL`), else a SQLite file, or `:memory:`. */
  database: string;
  /** The auth provider that texts and checks one-time codes (`AUTH_PROVIDER_URL`); unset, a local stand-in. */
  authProviderUrl?: string;
  /** How long the provider may take to answer (503 past it). */
  authProviderTimeoutMs: number;
  /** An OpenAI-compatible API for readings (`LLM_BASE_URL`, `LLM_API_KEY`, `LLM_MODEL`); unset, a stand-in. */
  llm: { baseUrl?: string; apiKey?: string; model: string; timeoutMs: number };
  /** An OpenAI-compatible `/audio/transcriptions` (`ASR_BASE_URL`, `ASR_API_KEY`); unset, a stand-in. */
  asr: { baseUrl?: string; apiKey?: string; model: string; timeoutMs: number };
  /** Where attachments and avatars are kept (local disk), and the URL their signed links use. */
  storage: {
    directory?: string;
    /** The public origin of signed URLs (`DIVINATION_STORAGE_URL`); unset, the local storage server's. */
    publicUrl?: string;
    /** How long a signed URL lasts. */
    urlTtlSeconds: number;
  };
  /** Secret behind tokens and signed URLs (at least 32 bytes); unset, one kept in the database. */
  secret?: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** One code per phone in this time (429 with retry_after); the provider keeps the codes. */
  otpResendSeconds: number;
  points: { runCost: number; signUpGrant: number; inviteReward: number };
  /** Run streams a user may have open at once (429 past it). */
  maxOpenStreams: number;
}

export function divinationConfig(env: NodeJS.ProcessEnv = process.env): DivinationConfig {
  const read = settingsReader(env);
  const secret = read.optional('DIVINATION_SECRET');
  if (secret !== undefined && Buffer.byteLength(secret) < minimumSecretBytes) {
    throw new Error(`DIVINATION_SECRET must have at least ${minimumSecretBytes} bytes`);
  }
  const database =
    read.optional('DATABASE_URL') ?? read.dataPath('DIVINATION_DATABASE', 'divination.sqlite');
  return {
    database,
    authProviderUrl: read.optional('AUTH_PROVIDER_URL'),
    authProviderTimeoutMs: read.positive('AUTH_PROVIDER_TIMEOUT_MS', 5000),
    llm: {
      baseUrl: read.optional('LLM_BASE_URL'),
      apiKey: read.optional('LLM_API_KEY'),
      model: read.optional('LLM_MODEL') ?? 'gpt-4o-mini',
      timeoutMs: read.positive('LLM_TIMEOUT_MS', 60_000),
    },
    asr: {
      baseUrl: read.optional('ASR_BASE_URL'),
      apiKey: read.optional('ASR_API_KEY'),
      model: read.optional('ASR_MODEL') ?? 'whisper-1',
      timeoutMs: read.positive('ASR_TIMEOUT_MS', 30_000),
    },
    storage: {
      directory:
        database === ':memory:'
          ? undefined
          : read.dataPath('DIVINATION_STORAGE_DIR', 'divination', 'storage'),
      publicUrl: read.optional('DIVINATION_STORAGE_URL'),
      urlTtlSeconds: read.positive('DIVINATION_SIGNED_URL_TTL_SECONDS', 3600),
    },
    secret,
    accessTokenTtlSeconds: read.positive('DIVINATION_ACCESS_TOKEN_TTL_SECONDS', 900),
    refreshTokenTtlSeconds: read.positive('DIVINATION_REFRESH_TOKEN_TTL_SECONDS', 30 * 86_400),
    otpResendSeconds: 60,
    points: {
      runCost: read.positive('DIVINATION_RUN_COST', 10),
      signUpGrant: read.positive('DIVINATION_SIGN_UP_POINTS', 100),
      inviteReward: read.positive('DIVINATION_INVITE_POINTS', 50),
    },
    maxOpenStreams: 3,
  };
}
