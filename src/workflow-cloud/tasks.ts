import { randomBytes } from 'node:crypto';
import { type ComfyClient, isComfyPromptError } from '../comfyui/client.ts';
import type { ObjectStore } from '../object-store/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Caller } from './accounts.ts';
import type { WorkflowCloudConfig } from './config.ts';
import type { AccountRow, Db, Instance, TaskRow } from './database.ts';
import { WorkflowCloudError } from './errors.ts';
import { numericId } from './ids.ts';
import { checkCancel, checkOutputs } from './lifecycle.ts';
import type { TaskRecords } from './records.ts';
import { checkWebhookUrl } from './webhook-url.ts';
import {
  applyNodeInfo,
  type NodeInfo,
  namedUploads,
  type RunSource,
  type Workflows,
} from './workflows.ts';

/** A request to run a workflow or an AI app. */
export interface TaskRequest {
  nodeInfoList?: NodeInfo[];
  webhookUrl?: string;
  instanceType?: 'plus';
}

/** One file of a succeeded task as stored: its object key, and what `outputs` tells of it. */
export interface StoredOutput {
  key: string;
  nodeId: string;
  fileType: string;
  taskCostTime: string;
}

export interface TaskOptions {
  db: Db;
  clock: Clock;
  config: Pick<WorkflowCloudConfig, 'retentionSeconds' | 'webhook'>;
  comfy: ComfyClient;
  store: ObjectStore;
  workflows: Workflows;
  records: TaskRecords;
  logger: Logger;
}

/**
 * The instance a task runs on: `plus` asks for the account's exclusive machines (436 without a
 * live membership); an exclusive plan has no shared machines (435 without `plus`).
 */
function instanceFor(account: AccountRow, request: TaskRequest, now: string): Instance {
  if (request.instanceType === 'plus') {
    const member =
      account.instances > 0 && account.exclusive_until !== null && account.exclusive_until > now;
    if (!member) {
      throw new WorkflowCloudError('TASK_USER_EXCLAPI_REQUIRED');
    }
    return 'exclusive';
  }
  if (account.plan === 'exclusive') {
    throw new WorkflowCloudError('TASK_USER_EXCLAPI_INSTANCE_NOT_FOUND');
  }
  return 'shared';
}

/** What callers do with tasks: create one, follow it, fetch its files, cancel it. */
export function createTasks(options: TaskOptions) {
  const { db, clock, comfy, store, workflows, records, logger } = options;

  /** Copies the uploads a prompt names into ComfyUI's inputs, renaming them as ComfyUI did. */
  async function pushUploads(task: { prompt: RunSource['prompt'] }, uploads: string[]) {
    const renamed = new Map<string, string>();
    for (const fileName of uploads) {
      const file = await store.get(fileName);
      if (!file) {
        throw new Error(`upload ${fileName} is missing from the object store`);
      }
      const name = fileName.slice(fileName.lastIndexOf('/') + 1);
      const stored = await comfy.uploadImage(file.bytes, name, file.contentType);
      renamed.set(fileName, stored.subfolder ? `${stored.subfolder}/${stored.name}` : stored.name);
    }
    for (const node of Object.values(task.prompt)) {
      for (const [input, value] of Object.entries(node.inputs)) {
        const name = typeof value === 'string' ? renamed.get(value) : undefined;
        if (name !== undefined) {
          node.inputs[input] = name;
        }
      }
    }
  }

  /**
   * Hands a reserved task to ComfyUI. When ComfyUI refuses the prompt (433, its report in
   * `promptTips`) or cannot be reached, the reservation is undone: no task, no charge.
   */
  async function submit(task: TaskRow, prompt: RunSource['prompt'], uploads: string[]) {
    let promptId: string | undefined;
    try {
      await pushUploads({ prompt }, uploads);
      promptId = (await comfy.queuePrompt(prompt, task.client_id)).promptId;
      if (!(await records.queued(task, promptId))) {
        // Ended meanwhile (the monitor took it for a reservation whose request died).
        throw new Error(`task ${task.id} ended before ComfyUI's id was recorded`);
      }
    } catch (error) {
      // Undone: a prompt ComfyUI took must not run without its task, slot and charge.
      if (promptId !== undefined) {
        await comfy.cancel(promptId).catch(() => undefined);
      }
      await records.withdraw(task);
      if (isComfyPromptError(error)) {
        const promptTips = JSON.stringify({
          error: { type: error.type, message: error.message, details: error.details },
          node_errors: Object.fromEntries(
            error.nodeErrors.map((problem) => [
              problem.nodeId,
              {
                class_type: problem.classType,
                errors: [
                  {
                    type: problem.type,
                    message: problem.message,
                    details: problem.details,
                    extra_info: { input_name: problem.inputName },
                  },
                ],
              },
            ]),
          ),
        });
        throw new WorkflowCloudError('VALIDATE_PROMPT_FAILED', { promptTips });
      }
      throw error;
    }
  }

  /** The caller's task (807 for any other id: another account's is not told apart), unless purged (423). */
  async function ownTask(caller: Caller, taskId: string): Promise<TaskRow> {
    const task = await db
      .selectFrom('tasks')
      .selectAll()
      .where('id', '=', taskId)
      .where('account_id', '=', caller.account.id)
      .executeTakeFirst();
    if (!task) {
      throw new WorkflowCloudError('APIKEY_TASK_NOT_FOUND');
    }
    const keptUntil =
      task.ended_at === null
        ? Number.POSITIVE_INFINITY
        : Date.parse(task.ended_at) + options.config.retentionSeconds * 1000;
    if (task.purged_at !== null || keptUntil <= clock.now().getTime()) {
      throw new WorkflowCloudError('TASK_NOT_FOUNED');
    }
    return task;
  }

  return {
    /**
     * Creates a task: the source checked (380, 810, 901), its inputs set (803), its instance
     * chosen (435, 436), a slot and the cost reserved (421, 415, 416, 812), and only then the
     * prompt sent to ComfyUI (433).
     */
    async create(caller: Caller, source: RunSource, request: TaskRequest) {
      const nodeInfoList = request.nodeInfoList ?? [];
      const owned = await workflows.ownUploads(caller, namedUploads(nodeInfoList));
      const { prompt, uploads } = applyNodeInfo(source.prompt, nodeInfoList, owned);
      const instance = instanceFor(caller.account, request, clock.now().toISOString());
      if (request.webhookUrl !== undefined) {
        await checkWebhookUrl(request.webhookUrl, options.config.webhook.allowInternal);
      }
      const task = await records.reserve(caller.account, {
        id: numericId(),
        account_id: caller.account.id,
        workflow_id: source.workflowId,
        webapp_id: source.webappId,
        prompt: JSON.stringify(prompt),
        instance,
        cost: source.cost,
        client_id: randomBytes(8).toString('hex'),
        prompt_id: null,
        prompt_tips: JSON.stringify({ node_errors: {} }),
        webhook_url: request.webhookUrl ?? null,
        webhook_state: null,
        webhook_due_at: null,
        outputs: null,
        failure: null,
        started_at: null,
        ended_at: null,
        purged_at: null,
      });
      await submit(task, prompt, uploads);
      return {
        taskId: task.id,
        clientId: task.client_id,
        taskStatus: 'QUEUED' as const,
        netWssUrl: null,
        promptTips: task.prompt_tips,
      };
    },

    async status(caller: Caller, taskId: string) {
      return (await ownTask(caller, taskId)).status;
    },

    /** The files of a SUCCESS task (813 queued, 804 running, 805 failed or cancelled). */
    async outputs(caller: Caller, taskId: string) {
      const task = await ownTask(caller, taskId);
      checkOutputs(task);
      return outputsOf(task, store);
    },

    /**
     * Records a task CANCELLED, then stops it on ComfyUI: one that had not started gets its cost
     * back. Recorded first, so that the monitor, seeing ComfyUI's interrupt, finds it ended
     * already rather than failed. A task that ended first answers 805.
     */
    async cancel(caller: Caller, taskId: string): Promise<void> {
      const task = await ownTask(caller, taskId);
      checkCancel(task);
      const cancelled =
        (await records.end(task, 'cancel', {}, { refund: true, from: ['QUEUED'] })) ||
        (await records.end(task, 'cancel', {}, { from: ['RUNNING'] }));
      if (!cancelled) {
        throw new WorkflowCloudError('APIKEY_TASK_STATUS_ERROR');
      }
      if (task.prompt_id !== null) {
        // ComfyUI unreachable: the prompt runs on, but its task is over (its files are dropped).
        await comfy
          .cancel(task.prompt_id)
          .catch((error: unknown) =>
            logger.warn({ err: error, task_id: task.id }, 'could not stop a cancelled prompt'),
          );
      }
    },
  };
}

export type Tasks = ReturnType<typeof createTasks>;

/** The `outputs` answer of a succeeded task: its files at the object store's public URLs. */
export function outputsOf(task: Pick<TaskRow, 'outputs'>, store: ObjectStore) {
  const stored: StoredOutput[] = JSON.parse(task.outputs ?? '[]');
  return stored.map(({ key, ...output }) => ({ fileUrl: store.publicUrl(key), ...output }));
}
