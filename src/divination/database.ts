import type { Kysely, Selectable, Transaction } from 'kysely';

/** divination's tables; timestamps are ISO 8601 strings in UTC, flags 0 or 1. */
export interface DivinationDatabase {
  settings: { key: string; value: string };
  users: {
    /** `u_…`. */
    id: string;
    /** E.164; unique among accounts not deleted. */
    phone: string;
    nickname: string;
    locale: 'zh-Hans' | 'zh-Hant' | 'en';
    birth_date: string | null;
    gender: 'female' | 'male' | 'other' | null;
    bio: string;
    /** The avatar's storage path, under the user's scope. */
    avatar_path: string | null;
    /** Points: moved only with a ledger entry, in its transaction. */
    balance: number;
    invite_code: string;
    invited_by: string | null;
    created_at: string;
    updated_at: string;
    /** A deleted account keeps its row (its phone freed) so that old tokens find it gone. */
    deleted_at: string | null;
  };
  points_ledger: {
    id: string;
    user_id: string;
    kind: 'grant' | 'invite' | 'run' | 'refund';
    /** Positive in, negative out. */
    amount: number;
    run_id: string | null;
    balance_after: number;
    created_at: string;
  };
  otp_requests: {
    phone: string;
    /** The account the phone had when its code was sent: deleted since, its sign-in answers 404. */
    user_id: string | null;
    sent_at: string;
  };
  refresh_tokens: {
    /** SHA-256 of the token, hex. */
    token_hash: string;
    user_id: string;
    /** Every token a sign-in's refreshes issued: a reused one revokes them all. */
    family_id: string;
    expires_at: string;
    used_at: string | null;
    revoked_at: string | null;
    created_at: string;
  };
  agent_sessions: {
    /** `thr_…`. */
    thread_id: string;
    user_id: string;
    title: string;
    method: 'iching' | 'tarot';
    user_message_count: number;
    created_at: string;
    updated_at: string;
  };
  agent_messages: {
    id: string;
    thread_id: string;
    /** Order within the session. */
    position: number;
    role: 'user' | 'assistant' | 'system' | 'tool';
    content: string;
    tool_call_id: string | null;
    created_at: string;
  };
  agent_runs: {
    /** `run_…`. */
    run_id: string;
    thread_id: string;
    user_id: string;
    status: 'running' | 'finished' | 'failed';
    /** The position of the run's user message in its session. */
    position: number;
    /**
     * Until when the instance working the run vouches for it (it renews this while it works):
     * past it, the instance is gone and any instance ends the run as failed.
     */
    lease_expires_at: string | null;
    created_at: string;
    ended_at: string | null;
  };
  /** The run streams open now, one row each, at most the limit a user (429 past it). */
  stream_leases: {
    id: string;
    user_id: string;
    /** Renewed by the instance serving the stream; past it, the place is free again. */
    expires_at: string;
  };
  run_events: {
    run_id: string;
    /** The SSE id: 1, 2, … within the run. */
    seq: number;
    /** The RunEvent, as JSON. */
    data: string;
  };
  tool_calls: {
    /** `call_…`. */
    id: string;
    run_id: string;
    user_id: string;
    tool: string;
    arguments: string;
    status: 'pending' | 'approved' | 'rejected' | 'executed';
    requested_at: string;
    decided_at: string | null;
  };
  attachments: {
    id: string;
    user_id: string;
    bucket: string;
    /** `users/<user id>/attachments/<file>`. */
    path: string;
    content_type: string;
    size: number;
    created_at: string;
  };
  notifications: {
    /** `ntf_…`. */
    id: string;
    user_id: string;
    kind: 'reading_ready' | 'points' | 'invite' | 'system';
    title: string;
    body: string;
    read: number;
    created_at: string;
  };
}

export type Db = Kysely<DivinationDatabase>;
export type Trx = Transaction<DivinationDatabase>;
export type UserRow = Selectable<DivinationDatabase['users']>;
export type SessionRow = Selectable<DivinationDatabase['agent_sessions']>;
