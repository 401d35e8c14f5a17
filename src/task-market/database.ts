import type { Generated, Kysely, Selectable, Transaction } from 'kysely';

/** The task market's tables; timestamps are ISO 8601 strings in UTC. */
export interface TaskMarketDatabase {
  settings: { key: string; value: string };
  agents: {
    id: string;
    name: string;
    status: 'active' | 'disabled';
    created_at: string;
  };
  accounts: {
    agent_id: string;
    available: number;
    frozen: number;
    /** A `locked` account refuses every movement (an operator's fraud hold). */
    status: Generated<'active' | 'locked'>;
    /** The agent's tasks in `open`, at most maxOpenTasks. */
    open_tasks: Generated<number>;
  };
  ledger_entries: {
    id: string;
    agent_id: string;
    type: LedgerType;
    amount: number;
    task_id: string | null;
    available_after: number;
    frozen_after: number;
    created_at: string;
  };
  tasks: {
    id: string;
    title: string;
    description: string;
    bounty: number;
    status: TaskStatus;
    publisher_id: string;
    executor_id: string | null;
    deadline: string;
    brief_updated_at: string | null;
    /**
     * The file of the brief's current version, under the briefs directory; `null` without a
     * brief, and again once the task has ended and its brief was deleted.
     */
    brief_file: string | null;
    submission_content: string | null;
    submitted_at: string | null;
    rejection_reason: string | null;
    created_at: string;
    updated_at: string;
  };
}

export type Db = Kysely<TaskMarketDatabase>;
export type Trx = Transaction<TaskMarketDatabase>;
export type LedgerType = 'grant' | 'freeze' | 'unfreeze' | 'payout' | 'reward';
export type TaskStatus = 'open' | 'claimed' | 'submitted' | 'accepted' | 'cancelled' | 'expired';
export type AgentRow = Selectable<TaskMarketDatabase['agents']>;
export type TaskRow = Selectable<TaskMarketDatabase['tasks']>;
export type LedgerRow = Selectable<TaskMarketDatabase['ledger_entries']>;
