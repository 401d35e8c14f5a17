import { settingsReader } from '../platform/settings.ts';

/** Settings of workflow-cloud; `workflowCloudConfig()` reads them from the environment. */
export interface WorkflowCloudConfig {
  /** A PostgreSQL URL (`DATABASE_URL`), else a SQLite file, or `:memory:`. */
  database: string;
  /** A ComfyUI (`COMFYUI_URL`); unset, `npm start` runs a local stand-in. */
  comfyuiUrl?: string;
  /** How long each prompt takes on the local ComfyUI stand-in. */
  standInRunMs: number;
  /** An S3-style object store (`OBJECT_STORE_URL`) for uploads and outputs; unset, a local stand-in. */
  objectStoreUrl?: string;
  /** The stand-in object store's directory; none for an in-memory database (files in memory). */
  standInFilesDirectory?: string;
  /** How often tasks are reconciled with ComfyUI, webhooks sent and old tasks purged. */
  monitorMs: number;
  /** How long an ended task and its files are kept; after that it answers 423. */
  retentionSeconds: number;
  /** A task not on ComfyUI this long after it was created (its process died) fails, refunded. */
  submitTimeoutSeconds: number;
  /** Largest upload, in bytes (809 past it). */
  maxUploadBytes: number;
  webhook: {
    /** How long one call may take. */
    timeoutMs: number;
    /** Between a failed call and the next. */
    retryDelaySeconds: number;
    /** Calls in all: the first and its retries. */
    attempts: number;
    /** Whether webhooks may reach internal addresses (a sandbox calling itself); never in production. */
    allowInternal: boolean;
  };
}

export function workflowCloudConfig(env: NodeJS.ProcessEnv = process.env): WorkflowCloudConfig {
  const read = settingsReader(env);
  const database =
    read.optional('DATABASE_URL') ??
    read.dataPath('WORKFLOW_CLOUD_DATABASE', 'workflow-cloud.sqlite');
  return {
    database,
    comfyuiUrl: read.optional('COMFYUI_URL'),
    standInRunMs: read.positive('WORKFLOW_CLOUD_STANDIN_RUN_MS', 3000),
    objectStoreUrl: read.optional('OBJECT_STORE_URL'),
    standInFilesDirectory:
      database === ':memory:'
        ? undefined
        : read.dataPath('WORKFLOW_CLOUD_FILES_DIR', 'workflow-cloud', 'files'),
    monitorMs: read.positive('WORKFLOW_CLOUD_MONITOR_MS', 500),
    retentionSeconds: read.positive('WORKFLOW_CLOUD_RETENTION_SECONDS', 7 * 86_400),
    submitTimeoutSeconds: 60,
    maxUploadBytes: read.positive('WORKFLOW_CLOUD_MAX_UPLOAD_BYTES', 10 * 1024 * 1024),
    webhook: {
      timeoutMs: read.positive('WORKFLOW_CLOUD_WEBHOOK_TIMEOUT_MS', 10_000),
      retryDelaySeconds: read.positive('WORKFLOW_CLOUD_WEBHOOK_RETRY_SECONDS', 60),
      attempts: 4,
      allowInternal: env.WORKFLOW_CLOUD_WEBHOOK_ALLOW_INTERNAL === 'true',
    },
  };
}
