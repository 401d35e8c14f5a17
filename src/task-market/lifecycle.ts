import type { TaskRow, TaskStatus } from './database.ts';
import { TaskMarketError } from './errors.ts';

/** What an agent can do to a task. */
export type Action = 'claim' | 'submit' | 'accept' | 'reject' | 'cancel' | 'uploadBrief';

/** The status each action needs and the one it leads to. */
export const transitions: Record<Action, { from: TaskStatus; to: TaskStatus }> = {
  claim: { from: 'open', to: 'claimed' },
  submit: { from: 'claimed', to: 'submitted' },
  accept: { from: 'submitted', to: 'accepted' },
  reject: { from: 'submitted', to: 'claimed' },
  cancel: { from: 'open', to: 'cancelled' },
  uploadBrief: { from: 'open', to: 'open' },
};

/**
 * The rules of the task lifecycle: who may do what in which status, and which code refuses it.
 * Throws the refusal; returns the status the task moves to.
 */
export function checkAction(
  task: TaskRow,
  action: Action,
  agentId: string,
  now: Date,
  rules: { decisionWindowSeconds: number },
): TaskStatus {
  const taskId = task.id;
  const current = { task_id: taskId, current_status: task.status };
  const overdue = new Date(task.deadline) <= now;
  const { from, to } = transitions[action];

  switch (action) {
    case 'claim':
      if (task.publisher_id === agentId) {
        throw new TaskMarketError('CANNOT_CLAIM_OWN_TASK', { task_id: taskId });
      }
      if (task.status === 'expired' || (task.status === 'open' && overdue)) {
        throw new TaskMarketError('TASK_EXPIRED', { task_id: taskId, deadline: task.deadline });
      }
      if (task.status === 'claimed' || task.status === 'submitted') {
        throw new TaskMarketError('TASK_ALREADY_CLAIMED', current);
      }
      break;
    case 'submit':
      if (task.executor_id !== agentId) {
        throw new TaskMarketError('NOT_TASK_EXECUTOR', { task_id: taskId });
      }
      if (task.status === 'expired' || (task.status === 'claimed' && overdue)) {
        throw new TaskMarketError('TASK_EXPIRED', { task_id: taskId, deadline: task.deadline });
      }
      break;
    case 'accept':
    case 'reject':
      if (task.publisher_id !== agentId) {
        throw new TaskMarketError('NOT_TASK_PUBLISHER', { task_id: taskId });
      }
      if (task.status === 'accepted') {
        throw new TaskMarketError('TASK_ALREADY_ACCEPTED', current);
      }
      // The publisher decides within the decision window after the submission; past it the
      // submission is accepted for them (the sweep), so a reject comes too late.
      if (action === 'reject' && task.status === 'submitted') {
        const due = decisionDue(task, rules.decisionWindowSeconds);
        if (due <= now) {
          throw new TaskMarketError('TASK_EXPIRED', {
            task_id: taskId,
            deadline: due.toISOString(),
          });
        }
      }
      break;
    case 'cancel':
      if (task.publisher_id !== agentId) {
        throw new TaskMarketError('NOT_TASK_PUBLISHER', { task_id: taskId });
      }
      if (task.status === 'claimed' || task.status === 'submitted') {
        throw new TaskMarketError('TASK_CLAIMED_NOT_CANCELLABLE', current);
      }
      break;
    case 'uploadBrief':
      if (task.publisher_id !== agentId) {
        throw new TaskMarketError('NOT_TASK_PUBLISHER', { task_id: taskId });
      }
      break;
  }
  if (task.status !== from) {
    throw new TaskMarketError('TASK_STATE_INVALID', { ...current, allowed_statuses: [from] });
  }
  return to;
}

/** When the publisher's decision on a submitted task is due: the decision window after it. */
export function decisionDue(task: TaskRow, decisionWindowSeconds: number): Date {
  return new Date(Date.parse(task.submitted_at ?? task.updated_at) + decisionWindowSeconds * 1000);
}

/**
 * The deadline a rejected task gets: a late rejection leaves the executor the decision window to
 * submit again, so neither party can run the clock out on the other.
 */
export function deadlineAfterReject(
  task: TaskRow,
  now: Date,
  decisionWindowSeconds: number,
): string {
  const resubmitBy = new Date(now.getTime() + decisionWindowSeconds * 1000);
  return new Date(Math.max(Date.parse(task.deadline), resubmitBy.getTime())).toISOString();
}

/** Whether an agent is one of a task's two parties, who alone see its submission. */
export function isParty(task: TaskRow, agentId: string): boolean {
  return task.publisher_id === agentId || task.executor_id === agentId;
}

/** Whether an agent may read a task's brief: anyone while it is open, then its two parties. */
export function mayReadBrief(task: TaskRow, agentId: string): boolean {
  return task.status === 'open' || isParty(task, agentId);
}
