import type { TaskRow, TaskStatus } from './database.ts';
import { WorkflowCloudError } from './errors.ts';

/** What moves a task: ComfyUI starting or ending it, or its owner cancelling it. */
export type TaskEvent = 'start' | 'succeed' | 'fail' | 'cancel';

/** The statuses each event may happen in, and the one it leads to. */
export const transitions: Record<TaskEvent, { from: TaskStatus[]; to: TaskStatus }> = {
  start: { from: ['QUEUED'], to: 'RUNNING' },
  // A short prompt may end between two looks at ComfyUI, never seen running.
  succeed: { from: ['QUEUED', 'RUNNING'], to: 'SUCCESS' },
  fail: { from: ['QUEUED', 'RUNNING'], to: 'FAILED' },
  cancel: { from: ['QUEUED', 'RUNNING'], to: 'CANCELLED' },
};

/** Whether a task has ended, for good. */
export const hasEnded = (task: Pick<TaskRow, 'status'>) =>
  !transitions.cancel.from.includes(task.status);

/** The outputs exist once a task succeeded; before, or after it failed, the code says why not. */
export function checkOutputs(task: TaskRow): void {
  switch (task.status) {
    case 'QUEUED':
      throw new WorkflowCloudError('APIKEY_TASK_IS_QUEUED');
    case 'RUNNING':
      throw new WorkflowCloudError('APIKEY_TASK_IS_RUNNING');
    case 'FAILED':
    case 'CANCELLED':
      throw new WorkflowCloudError('APIKEY_TASK_STATUS_ERROR');
    case 'SUCCESS':
      return;
  }
}

/** Only a task that has not ended can be cancelled. */
export function checkCancel(task: TaskRow): void {
  if (hasEnded(task)) {
    throw new WorkflowCloudError('APIKEY_TASK_STATUS_ERROR');
  }
}
