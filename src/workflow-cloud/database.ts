import type { Generated, Kysely, Selectable, Transaction } from 'kysely';

/** workflow-cloud's tables; timestamps are ISO 8601 strings in UTC, flags 0 or 1. */
export interface WorkflowCloudDatabase {
  accounts: {
    id: string;
    name: string;
    plan: Plan;
    /** The wallet of every plan but enterprise. */
    coins: number;
    /** An enterprise's funds, in cents of `currency`. */
    money_cents: number;
    currency: string | null;
    /** Tasks the shared API runs at once for this account (421 past it). */
    concurrency: number;
    /** An exclusive plan's machines (415 when all are busy), until `exclusive_until`. */
    instances: number;
    exclusive_until: string | null;
    /** Unfinished tasks on the shared API and on the exclusive instances: the limits' counters. */
    active_shared: Generated<number>;
    active_exclusive: Generated<number>;
    /** A closed account's keys answer 806. */
    closed_at: string | null;
    created_at: string;
  };
  api_keys: {
    /** SHA-256 of the key, hex: the key itself is shown once, when issued. */
    key_hash: string;
    account_id: string;
    /** An enterprise key's end (811 after it). */
    expires_at: string | null;
    revoked_at: string | null;
    created_at: string;
  };
  workflows: {
    id: string;
    account_id: string;
    name: string;
    /** ComfyUI API-format JSON. */
    prompt: string;
    /** Whether other accounts may open it (and so learn that it exists: 810 rather than 380). */
    public: number;
    /** Coins (an enterprise's cents) per run. */
    cost: number;
    /** When it was first run on the platform; the API runs it only after that (810). */
    ran_at: string | null;
    created_at: string;
  };
  webapps: {
    id: string;
    name: string;
    prompt: string;
    cost: number;
    created_at: string;
  };
  uploads: {
    /** `api/<hex>.<ext>`: the name a `nodeInfoList` value gives, and the object's key. */
    file_name: string;
    account_id: string;
    file_type: string;
    content_type: string;
    size: number;
    created_at: string;
  };
  tasks: {
    id: string;
    account_id: string;
    workflow_id: string | null;
    webapp_id: string | null;
    /** The workflow with the caller's `nodeInfoList` applied. */
    prompt: string;
    status: TaskStatus;
    instance: Instance;
    cost: number;
    /** The wallet the cost came from. */
    paid_with: 'coins' | 'money';
    client_id: string;
    /** ComfyUI's id, once the prompt is queued there. */
    prompt_id: string | null;
    prompt_tips: string;
    webhook_url: string | null;
    webhook_state: WebhookState | null;
    webhook_attempts: Generated<number>;
    webhook_due_at: string | null;
    /** The answer of `outputs` (a JSON array), once SUCCESS. */
    outputs: string | null;
    /** Why it failed, as ComfyUI told it. */
    failure: string | null;
    created_at: string;
    started_at: string | null;
    ended_at: string | null;
    /** When its files were deleted, past the retention: the task answers 423 from then on. */
    purged_at: string | null;
  };
}

export type Plan = 'free' | 'shared' | 'exclusive' | 'enterprise';
export type TaskStatus = 'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'CANCELLED';
export type Instance = 'shared' | 'exclusive';
export type WebhookState = 'pending' | 'sent' | 'failed';
export type Db = Kysely<WorkflowCloudDatabase>;
export type Trx = Transaction<WorkflowCloudDatabase>;
export type AccountRow = Selectable<WorkflowCloudDatabase['accounts']>;
export type TaskRow = Selectable<WorkflowCloudDatabase['tasks']>;
export type WorkflowRow = Selectable<WorkflowCloudDatabase['workflows']>;
