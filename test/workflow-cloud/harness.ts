import type { ComfyPrompt } from '../../src/comfyui/client.ts';
import { pngSignature } from '../../src/comfyui/png.ts';
import { startComfyStandIn } from '../../src/comfyui/standin.ts';
import { textToImage as exampleTextToImage, imageCopy } from '../../src/comfyui/workflows.ts';
import { startObjectStoreStandIn } from '../../src/object-store/standin.ts';
import type { WorkflowCloudConfig } from '../../src/workflow-cloud/config.ts';
import { workflowCloud } from '../../src/workflow-cloud/index.ts';
import type { NewAccount } from '../../src/workflow-cloud/operators.ts';
import { databaseFor, type TestDatabase } from '../support/database.ts';
import { type Reply, readReply } from '../support/reply.ts';
import { startService } from '../support/service.ts';

export type { Reply };

export interface CloudOptions {
  /** SQLite in memory (the default) or a fresh PostgreSQL database. */
  database?: TestDatabase;
  config?: Partial<WorkflowCloudConfig>;
  /** How long the ComfyUI stand-in takes per prompt (300 ms by default). */
  runMs?: number;
  /** The object store's capacity in bytes (unlimited by default). */
  storeCapacity?: number;
  /** The shared API's concurrency of the `shared` account (5 by default). */
  concurrency?: number;
}

/** The example workflows, as the tests save them. */
export const textToImage = exampleTextToImage();
export { imageCopy };

/** A small PNG's first bytes: enough for a file the store and ComfyUI keep as given. */
export const pngBytes = Uint8Array.from([...pngSignature, 0, 0, 0, 13, 1, 2, 3]);

export type Cloud = Awaited<ReturnType<typeof startCloud>>;

/**
 * workflow-cloud started as `npm start` starts it, on 127.0.0.1 at a port of its own, with a
 * ComfyUI and an object store of its own (as COMFYUI_URL and OBJECT_STORE_URL), a monitor every
 * 20 ms, and one account of each kind, each with a key.
 */
export async function startCloud(options: CloudOptions = {}) {
  const database = await databaseFor(options.database ?? 'sqlite');
  const comfy = await startComfyStandIn({ runMs: options.runMs ?? 300 });
  const store = await startObjectStoreStandIn({ capacityBytes: options.storeCapacity });
  const started = await startService(workflowCloud, {
    ...workflowCloud.settings({}),
    database: database.location,
    comfyuiUrl: comfy.url,
    objectStoreUrl: store.url,
    standInFilesDirectory: undefined,
    monitorMs: 20,
    // The tests' webhook receivers listen on 127.0.0.1.
    webhook: { timeoutMs: 1000, retryDelaySeconds: 0.05, attempts: 4, allowInternal: true },
    ...options.config,
  });
  const { origin, clock, lifecycle, service } = started;
  const { operators, db, monitor } = service;
  const inAMonth = new Date(clock.now().getTime() + 30 * 86_400_000).toISOString();

  async function account(account: NewAccount) {
    const id = (await operators.addAccount(account)) as string;
    return { id, apiKey: await operators.issueKey(id) };
  }
  const accounts = {
    shared: await account({
      name: 'shared',
      plan: 'shared',
      coins: 1000,
      concurrency: options.concurrency ?? 5,
    }),
    other: await account({ name: 'other', plan: 'shared', coins: 1000 }),
    free: await account({ name: 'free', plan: 'free' }),
    exclusive: await account({
      name: 'exclusive',
      plan: 'exclusive',
      coins: 1000,
      instances: 1,
      exclusiveUntil: inAMonth,
    }),
    enterprise: await account({ name: 'enterprise', plan: 'enterprise', moneyCents: 1000 }),
  };
  const { shared, other } = accounts;
  const workflow = (accountId: string, prompt: ComfyPrompt, extra = {}) =>
    operators.addWorkflow(accountId, { name: 'workflow', prompt, cost: 10, ran: true, ...extra });
  const workflows = {
    textToImage: await workflow(shared.id, textToImage),
    imageCopy: await workflow(shared.id, imageCopy),
    neverRun: await workflow(shared.id, textToImage, { ran: false }),
    othersPublic: await workflow(other.id, textToImage, { public: true }),
    othersPrivate: await workflow(other.id, textToImage),
    exclusive: await workflow(accounts.exclusive.id, textToImage),
    enterprise: await workflow(accounts.enterprise.id, textToImage),
  };
  const webappId = await operators.addWebapp({ name: 'copy', prompt: imageCopy, cost: 5 });

  /** POSTs JSON (or `raw` bytes) to a path under /workflow-cloud. */
  async function post(
    path: string,
    body: unknown,
    { raw, contentType = 'application/json' }: { raw?: string; contentType?: string } = {},
  ): Promise<Reply> {
    const response = await fetch(`${origin}/workflow-cloud${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: raw ?? JSON.stringify(body),
    });
    return readReply(response);
  }

  /** Uploads a file as a multipart form. */
  async function upload(apiKey: string, bytes: Uint8Array = pngBytes, fileType = 'image') {
    const form = new FormData();
    form.set('apiKey', apiKey);
    form.set('fileType', fileType);
    form.set('file', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'photo.png');
    const response = await fetch(`${origin}/workflow-cloud/task/openapi/upload`, {
      method: 'POST',
      body: form,
    });
    return readReply(response);
  }

  /** Creates a task and fails the test if it is refused; returns its id. */
  async function create(apiKey: string, body: Record<string, unknown>): Promise<string> {
    const reply = await post('/task/openapi/create', { apiKey, ...body });
    if (reply.body.code !== 0) {
      throw new Error(`create failed: ${JSON.stringify(reply.body)}`);
    }
    return reply.body.data.taskId;
  }

  /** Waits (five seconds at most) until a task is in `status`. */
  async function until(apiKey: string, taskId: string, status: string) {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const reply = await post('/task/openapi/status', { apiKey, taskId });
      if (reply.body.data === status) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`task ${taskId} did not reach ${status} in 5 s`);
  }

  return {
    origin,
    clock,
    lifecycle,
    db,
    operators,
    monitor,
    accounts,
    workflows,
    webappId,
    post,
    upload,
    create,
    until,
    stopComfy: () => comfy.close(),
    stopStore: () => store.close(),
    async close() {
      await started.close();
      await comfy.close();
      await store.close();
      await database.drop();
    },
  };
}
