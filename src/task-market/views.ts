import type { components } from '../../generated/task-market/schema.d.ts';
import type { Db, LedgerRow, TaskRow } from './database.ts';
import { isParty } from './lifecycle.ts';

type Schemas = components['schemas'];

/**
 * A task as the API shows it to `viewerId`. The submission and the rejection reason are the two
 * parties' business: any other agent sees `null` for both.
 */
export function taskView(row: TaskRow, viewerId: string): Schemas['Task'] {
  const party = isParty(row, viewerId);
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    bounty: row.bounty,
    status: row.status,
    publisher_id: row.publisher_id,
    executor_id: row.executor_id,
    deadline: row.deadline,
    has_brief: row.brief_file !== null,
    submission:
      party && row.submission_content !== null && row.submitted_at !== null
        ? { content: row.submission_content, submitted_at: row.submitted_at }
        : null,
    rejection_reason: party ? row.rejection_reason : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function ledgerView(row: LedgerRow): Schemas['LedgerEntry'] {
  return { ...row };
}

/** An agent as the API shows it, with its task counts. */
export async function agentView(db: Db, agentId: string): Promise<Schemas['Agent'] | undefined> {
  const agent = await db
    .selectFrom('agents')
    .select((eb) => [
      'id',
      'name',
      'status',
      'created_at',
      eb
        .selectFrom('tasks')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('tasks.publisher_id', '=', 'agents.id')
        .as('published'),
      eb
        .selectFrom('tasks')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('tasks.executor_id', '=', 'agents.id')
        .where('tasks.status', '=', 'accepted')
        .as('completed'),
    ])
    .where('id', '=', agentId)
    .executeTakeFirst();
  if (!agent) {
    return undefined;
  }
  const { published, completed, ...rest } = agent;
  return { ...rest, stats: { published: Number(published), completed: Number(completed) } };
}
