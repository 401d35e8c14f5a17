import { extname } from 'node:path';
import { entryOfCode, errorBody } from '../catalog/envelopes.js';
import type { ComfyClient, ComfyHistory, ComfyOutput } from '../comfyui/client.ts';
import type { ObjectStore } from '../object-store/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { WorkflowCloudConfig } from './config.ts';
import type { Db, TaskRow } from './database.ts';
import { catalog } from './errors.ts';
import type { TaskRecords } from './records.ts';
import { outputsOf, type StoredOutput } from './tasks.ts';
import { checkWebhookUrl } from './webhook-url.ts';

export interface MonitorOptions {
  db: Db;
  clock: Clock;
  config: Pick<
    WorkflowCloudConfig,
    'monitorMs' | 'retentionSeconds' | 'submitTimeoutSeconds' | 'webhook'
  >;
  comfy: ComfyClient;
  store: ObjectStore;
  records: TaskRecords;
  logger: Logger;
}

const contentTypes: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  mp4: 'video/mp4',
  mp3: 'audio/mpeg',
};

/** What a task that did not succeed tells its webhook: the answer `outputs` gives it. */
const notSucceeded = entryOfCode(catalog, 'APIKEY_TASK_STATUS_ERROR');

const seconds = (from: string, to: Date) =>
  String(Math.max(0, Math.round((to.getTime() - Date.parse(from)) / 1000)));

/**
 * What goes on between requests, every `monitorMs`: tasks follow ComfyUI (started, ended, their
 * files copied to the object store), webhooks are called, and ended tasks past their retention
 * lose their files. Every change is a guarded update, so instances on one database can all run it.
 */
export function createMonitor(options: MonitorOptions) {
  const { db, clock, config, comfy, store, records, logger } = options;
  /** Prompts ComfyUI knew nothing of at the last look: lost if it still does not at the next. */
  let unseen = new Set<string>();

  /** Copies a finished prompt's files to the object store, keyed by task: a repeat overwrites. */
  async function storeOutputs(task: TaskRow, outputs: ComfyOutput[]): Promise<StoredOutput[]> {
    const taskCostTime = seconds(task.started_at ?? task.created_at, clock.now());
    const stored: StoredOutput[] = [];
    for (const [index, output] of outputs.entries()) {
      const fileType = extname(output.filename).slice(1).toLowerCase() || 'png';
      const key = `outputs/${task.id}/${output.nodeId}-${index + 1}.${fileType}`;
      const bytes = await comfy.view(output);
      await store.put(key, bytes, contentTypes[fileType] ?? 'application/octet-stream');
      stored.push({ key, nodeId: output.nodeId, fileType, taskCostTime });
    }
    return stored;
  }

  async function finish(task: TaskRow, history: ComfyHistory) {
    if (history.status === 'success') {
      const stored = await storeOutputs(task, history.outputs);
      if (!(await records.end(task, 'succeed', { outputs: JSON.stringify(stored) }))) {
        // It was cancelled meanwhile: its files are no one's.
        await Promise.all(stored.map(({ key }) => store.delete(key)));
      }
      return;
    }
    const error = history.messages.find((message) => message.type === 'execution_error');
    const failure = String(error?.data.exception_message ?? 'interrupted');
    await records.end(task, 'fail', { failure });
  }

  /** Moves the unfinished tasks along as ComfyUI did. */
  async function reconcile() {
    const staleBefore = new Date(clock.now().getTime() - config.submitTimeoutSeconds * 1000);
    const stale = await db
      .selectFrom('tasks')
      .selectAll()
      .where('status', '=', 'QUEUED')
      .where('prompt_id', 'is', null)
      .where('created_at', '<', staleBefore.toISOString())
      .execute();
    for (const task of stale) {
      // Its request died between the reservation and ComfyUI: it never ran.
      await records.end(task, 'fail', { failure: 'never reached ComfyUI' }, { refund: true });
    }
    const live = await db
      .selectFrom('tasks')
      .selectAll()
      .where('status', 'in', ['QUEUED', 'RUNNING'])
      .where('prompt_id', 'is not', null)
      .execute();
    if (live.length === 0) {
      unseen = new Set();
      return;
    }
    const queue = await comfy.queue();
    const nowUnseen = new Set<string>();
    for (const task of live) {
      // One task that cannot move (a file ComfyUI no longer serves) holds up no other.
      await follow(task, queue, nowUnseen).catch((error: unknown) =>
        logger.warn({ err: error, task_id: task.id }, 'could not follow a task'),
      );
    }
    unseen = nowUnseen;
  }

  /** One task as ComfyUI has it: started, ended, or (twice unseen) lost. */
  async function follow(
    task: TaskRow,
    queue: { running: string[]; pending: string[] },
    nowUnseen: Set<string>,
  ) {
    const promptId = task.prompt_id as string;
    if (queue.running.includes(promptId)) {
      if (task.status === 'QUEUED') {
        await records.started(task);
      }
      return;
    }
    if (queue.pending.includes(promptId)) {
      return;
    }
    const history = await comfy.history(promptId);
    if (history !== undefined) {
      await finish(task, history);
    } else if (unseen.has(promptId)) {
      await records.end(task, 'fail', { failure: 'ComfyUI lost the prompt' });
    } else {
      nowUnseen.add(promptId);
    }
  }

  /** What a task's webhook is posted: the `outputs` answer, or the error that ended it. */
  function endedEvent(task: TaskRow) {
    const answer =
      task.status === 'SUCCESS'
        ? { code: 0, msg: 'success', data: outputsOf(task, store) }
        : errorBody(catalog, notSucceeded as NonNullable<typeof notSucceeded>);
    return { event: 'TASK_END', taskId: task.id, eventData: JSON.stringify(answer) };
  }

  async function post(task: TaskRow): Promise<boolean> {
    try {
      await checkWebhookUrl(task.webhook_url as string, config.webhook.allowInternal);
      const response = await fetch(task.webhook_url as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(endedEvent(task)),
        redirect: 'manual',
        signal: AbortSignal.timeout(config.webhook.timeoutMs),
      });
      await response.body?.cancel();
      return response.ok;
    } catch (error) {
      logger.warn({ err: error, task_id: task.id }, 'webhook call failed');
      return false;
    }
  }

  /** Calls the webhooks due, side by side. */
  async function deliverWebhooks() {
    const due = await db
      .selectFrom('tasks')
      .selectAll()
      .where('webhook_state', '=', 'pending')
      .where('webhook_due_at', '<=', clock.now().toISOString())
      .limit(20)
      .execute();
    const delivered = await Promise.allSettled(due.map(deliver));
    for (const failed of delivered.filter((result) => result.status === 'rejected')) {
      logger.warn({ err: failed.reason }, 'could not record a webhook call');
    }
  }

  /**
   * One call of a task's webhook, claimed first (its due time moved past the call) so that of
   * several instances one makes it; a failed call is due again after the retry delay.
   */
  async function deliver(task: TaskRow) {
    const { timeoutMs, retryDelaySeconds, attempts } = config.webhook;
    const later = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();
    const claimed = await db
      .updateTable('tasks')
      .set({ webhook_due_at: later(timeoutMs + retryDelaySeconds * 1000) })
      .where('id', '=', task.id)
      .where('webhook_due_at', '=', task.webhook_due_at)
      .executeTakeFirst();
    if (claimed.numUpdatedRows === 0n) {
      return;
    }
    const ok = await post(task);
    const tried = task.webhook_attempts + 1;
    const done = ok || tried >= attempts;
    await db
      .updateTable('tasks')
      .set({
        webhook_attempts: tried,
        webhook_state: ok ? 'sent' : done ? 'failed' : 'pending',
        webhook_due_at: done ? null : later(retryDelaySeconds * 1000),
      })
      .where('id', '=', task.id)
      .execute();
  }

  /** Deletes the files of tasks that ended more than the retention ago; they answer 423 after. */
  async function purge() {
    const before = new Date(clock.now().getTime() - config.retentionSeconds * 1000);
    const old = await db
      .selectFrom('tasks')
      .selectAll()
      .where('purged_at', 'is', null)
      .where('ended_at', '<', before.toISOString())
      .limit(100)
      .execute();
    for (const task of old) {
      await purgeTask(task).catch((error: unknown) =>
        logger.warn({ err: error, task_id: task.id }, 'could not purge a task'),
      );
    }
  }

  async function purgeTask(task: TaskRow) {
    const stored: StoredOutput[] = JSON.parse(task.outputs ?? '[]');
    for (const { key } of stored) {
      await store.delete(key);
    }
    await db
      .updateTable('tasks')
      .set({ purged_at: clock.now().toISOString(), outputs: null })
      .where('id', '=', task.id)
      .execute();
  }

  /** A step that runs one round at a time: called while a round is going, it waits for it. */
  function oneAtATime(name: string, step: () => Promise<void>) {
    let round: Promise<void> | undefined;
    return {
      run: () => {
        round ??= step()
          .catch((error: unknown) => logger.warn({ err: error, step: name }, 'monitor step failed'))
          .finally(() => {
            round = undefined;
          });
        return round;
      },
      idle: () => round ?? Promise.resolve(),
    };
  }
  // Apart, so that a slow webhook never holds up the tasks following ComfyUI.
  const steps = [
    oneAtATime('reconcile', reconcile),
    oneAtATime('webhooks', deliverWebhooks),
    oneAtATime('purge', purge),
  ];
  /** One round of each step (waiting for those already going). */
  const tick = async () => {
    await Promise.all(steps.map((step) => step.run()));
  };

  let timer: NodeJS.Timeout | undefined;
  return {
    tick,
    start() {
      timer = setInterval(() => void tick(), config.monitorMs);
      timer.unref();
    },
    /** Starts no more rounds, and waits for those going. */
    async stop() {
      clearInterval(timer);
      await Promise.all(steps.map((step) => step.idle()));
    },
  };
}

export type Monitor = ReturnType<typeof createMonitor>;
