import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { catalog } from '../../generated/workflow-cloud/errors.ts';
import { databaseLabel, type TestDatabase, testDatabases } from '../support/database.ts';
import { loadDocument, type Pair } from '../support/documents.ts';
import { readReply } from '../support/reply.ts';
import {
  type Cloud,
  type CloudOptions,
  pngBytes,
  type Reply,
  startCloud,
  textToImage,
} from './harness.ts';

// The contract matrix: every (operation, code) pair of the workflow-cloud document, reached on
// the real server through a real condition — a bad body, a misspelled path, a key refused, a
// workflow or task that is not the caller's, a limit, an empty wallet, a task not in the state
// asked, ComfyUI refusing the prompt, the object store full, a damaged database.

const document = loadDocument('workflow-cloud');

/** A multipart upload form: `file` left out sends a form without it. */
interface Form {
  apiKey: string;
  fileType: string;
  file?: Uint8Array;
}

/** A request of one operation: a JSON body (or `raw` bytes), or an upload form. */
interface Call {
  /** Under /workflow-cloud. */
  path: string;
  body?: Record<string, unknown>;
  raw?: string;
  form?: Form;
}

/** Quick prompts unless a scenario needs a task that stays unfinished. */
const quick: CloudOptions = { runMs: 50 };
/** Prompts that outlast the test: a task stays QUEUED or RUNNING. */
const slow: CloudOptions = { runMs: 5000 };

/** A task of the shared account running the text-to-image workflow; its id. */
const sharedTask = (cloud: Cloud, extra: Record<string, unknown> = {}) =>
  cloud.create(cloud.accounts.shared.apiKey, { workflowId: cloud.workflows.textToImage, ...extra });

/** Uploads a file as `apiKey`; its `fileName`. */
async function uploaded(cloud: Cloud, apiKey: string): Promise<string> {
  const reply = await cloud.upload(apiKey);
  if (reply.body.code !== 0) {
    throw new Error(`upload failed: ${JSON.stringify(reply.body)}`);
  }
  return reply.body.data.fileName;
}

/** The AI app (an image copy) with node 12's image set to an upload of `apiKey`. */
async function imageInput(cloud: Cloud, apiKey: string) {
  return [{ nodeId: '12', fieldName: 'image', fieldValue: await uploaded(cloud, apiKey) }];
}

/** A request each operation succeeds with, sent by the shared account. */
const valid: Record<string, (cloud: Cloud) => Promise<Call>> = {
  createTask: async (cloud) => ({
    path: '/task/openapi/create',
    body: {
      apiKey: cloud.accounts.shared.apiKey,
      workflowId: cloud.workflows.textToImage,
      nodeInfoList: [{ nodeId: '6', fieldName: 'text', fieldValue: 'a lighthouse at dawn' }],
    },
  }),
  runAiApp: async (cloud) => ({
    path: '/task/openapi/ai-app/run',
    body: {
      apiKey: cloud.accounts.shared.apiKey,
      webappId: cloud.webappId,
      nodeInfoList: await imageInput(cloud, cloud.accounts.shared.apiKey),
    },
  }),
  getTaskStatus: async (cloud) => ({
    path: '/task/openapi/status',
    body: { apiKey: cloud.accounts.shared.apiKey, taskId: await sharedTask(cloud) },
  }),
  getTaskOutputs: async (cloud) => {
    const apiKey = cloud.accounts.shared.apiKey;
    const taskId = await sharedTask(cloud);
    await cloud.until(apiKey, taskId, 'SUCCESS');
    return { path: '/task/openapi/outputs', body: { apiKey, taskId } };
  },
  cancelTask: async (cloud) => ({
    path: '/task/openapi/cancel',
    body: { apiKey: cloud.accounts.shared.apiKey, taskId: await sharedTask(cloud) },
  }),
  uploadFile: async (cloud) => ({
    path: '/task/openapi/upload',
    form: { apiKey: cloud.accounts.shared.apiKey, fileType: 'image', file: pngBytes },
  }),
  getAccountStatus: async (cloud) => ({
    path: '/uc/openapi/accountStatus',
    body: { apikey: cloud.accounts.shared.apiKey },
  }),
  getWorkflowJson: async (cloud) => ({
    path: '/api/openapi/getJsonApiFormat',
    body: { apiKey: cloud.accounts.shared.apiKey, workflowId: cloud.workflows.textToImage },
  }),
};

/** Sends a call: its JSON (or raw) body, or its form as multipart/form-data. */
async function send(cloud: Cloud, call: Call): Promise<Reply> {
  if (!call.form) {
    return cloud.post(call.path, call.body, { raw: call.raw });
  }
  const form = new FormData();
  form.set('apiKey', call.form.apiKey);
  form.set('fileType', call.form.fileType);
  if (call.form.file) {
    form.set('file', new Blob([new Uint8Array(call.form.file)], { type: 'image/png' }), 'a.png');
  }
  const response = await fetch(`${cloud.origin}/workflow-cloud${call.path}`, {
    method: 'POST',
    body: form,
  });
  return readReply(response);
}

/** The call sent with `apiKey` (`apikey` for the account status, a form field for uploads). */
function withKey(call: Call, apiKey: string): Call {
  if (call.form) {
    return { ...call, form: { ...call.form, apiKey } };
  }
  const field = call.body && 'apikey' in call.body ? 'apikey' : 'apiKey';
  return { ...call, body: { ...call.body, [field]: apiKey } };
}

const withBody = (call: Call, fields: Record<string, unknown>): Call => ({
  ...call,
  body: { ...call.body, ...fields },
});

/**
 * The call sent by another account, as that account would send it: its own key, its own
 * workflow (a workflow must be the caller's), its own uploads for the AI app's image.
 */
async function as(
  cloud: Cloud,
  call: Call,
  account: { apiKey: string; workflowId: string },
): Promise<Call> {
  const changed = withKey(call, account.apiKey);
  if (changed.body && 'workflowId' in changed.body) {
    return withBody(changed, { workflowId: account.workflowId });
  }
  if (changed.body && 'webappId' in changed.body) {
    return withBody(changed, { nodeInfoList: await imageInput(cloud, account.apiKey) });
  }
  return changed;
}

/** A shared account with an empty wallet, and its workflow. */
async function poorAccount(cloud: Cloud) {
  const id = (await cloud.operators.addAccount({
    name: 'poor',
    plan: 'shared',
    coins: 0,
  })) as string;
  const workflowId = await cloud.operators.addWorkflow(id, {
    name: 'poor',
    prompt: textToImage,
    cost: 10,
    ran: true,
  });
  return { apiKey: await cloud.operators.issueKey(id), workflowId };
}

/** An enterprise account without funds, its key valid for a year, and its workflow. */
async function brokeEnterprise(cloud: Cloud) {
  const id = (await cloud.operators.addAccount({
    name: 'broke',
    plan: 'enterprise',
    moneyCents: 0,
  })) as string;
  const workflowId = await cloud.operators.addWorkflow(id, {
    name: 'broke',
    prompt: textToImage,
    cost: 10,
    ran: true,
  });
  return { apiKey: await cloud.operators.issueKey(id), workflowId };
}

const unknownId = '1234567890123456789';

type Scenario = (pair: Pair, database: TestDatabase) => Promise<{ cloud: Cloud; reply: Reply }>;

/** Starts a cloud, prepares the operation's valid request, changes something, sends it. */
function scenario(
  change: (call: Call, cloud: Cloud) => Promise<Call | Reply> | Call | Reply,
  options: CloudOptions = quick,
): Scenario {
  return async (pair, database) => {
    const cloud = await startCloud({ ...options, database });
    try {
      const call = await (valid[pair.operationId] as (cloud: Cloud) => Promise<Call>)(cloud);
      const changed = await change(call, cloud);
      const reply = 'status' in changed ? changed : await send(cloud, changed);
      return { cloud, reply };
    } catch (error) {
      await cloud.close();
      throw error;
    }
  };
}

/** A scenario that depends on the operation. */
function byOperation(scenarios: Record<string, Scenario>): Scenario {
  return (pair, database) => {
    const run = scenarios[pair.operationId];
    if (!run) {
      throw new Error(`no scenario reaches ${pair.code} on ${pair.operationId}`);
    }
    return run(pair, database);
  };
}

/** A task of the shared account in some state, then the request `action` makes of it. */
function taskIn(
  options: CloudOptions,
  prepare: (cloud: Cloud) => Promise<string>,
  action: (cloud: Cloud, taskId: string) => Call,
): Scenario {
  return async (_pair, database) => {
    const cloud = await startCloud({ ...options, database });
    try {
      const taskId = await prepare(cloud);
      return { cloud, reply: await send(cloud, action(cloud, taskId)) };
    } catch (error) {
      await cloud.close();
      throw error;
    }
  };
}

const outputsOf = (cloud: Cloud, taskId: string): Call => ({
  path: '/task/openapi/outputs',
  body: { apiKey: cloud.accounts.shared.apiKey, taskId },
});

/** A task of the shared account whose prompt ComfyUI fails as it runs. */
async function failedTask(cloud: Cloud) {
  const taskId = await sharedTask(cloud, {
    nodeInfoList: [{ nodeId: '6', fieldName: 'text', fieldValue: 'please fail' }],
  });
  await cloud.until(cloud.accounts.shared.apiKey, taskId, 'FAILED');
  return taskId;
}

const scenarios: Record<string, Scenario> = {
  PARAMS_INVALID: byOperation({
    ...Object.fromEntries(
      ['createTask', 'runAiApp', 'getTaskStatus', 'getAccountStatus'].map((operationId) => [
        operationId,
        scenario((call) => ({ ...call, body: {} })),
      ]),
    ),
    ...Object.fromEntries(
      ['getTaskOutputs', 'cancelTask', 'getWorkflowJson'].map((operationId) => [
        operationId,
        scenario((call) => ({ ...call, body: undefined, raw: '{"apiKey": ' })),
      ]),
    ),
    uploadFile: scenario((call) => ({
      ...call,
      form: { ...(call.form as Form), file: undefined },
    })),
  }),
  TOKEN_INVALID: byOperation({
    ...Object.fromEntries(
      Object.keys(valid).map((operationId, index) => [
        operationId,
        // A misspelled path: a letter too many, or a trailing slash.
        scenario((call) => ({ ...call, path: `${call.path}${index % 2 ? '/' : 'x'}` })),
      ]),
    ),
  }),
  UNKNOWN_ERROR: scenario(async (call, cloud) => {
    // A damaged schema: the table every request reads first is gone.
    await sql`alter table api_keys rename to api_keys_damaged`.execute(cloud.db);
    return call;
  }),
  APIKEY_UNAUTHORIZED: byOperation({
    ...Object.fromEntries(
      Object.keys(valid).map((operationId, index) => [
        operationId,
        index % 2
          ? // A key never issued.
            scenario((call) => withKey(call, 'f'.repeat(32)))
          : // A key revoked.
            scenario(async (call, cloud) => {
              await cloud.operators.revokeKey(cloud.accounts.shared.apiKey);
              return call;
            }),
      ]),
    ),
  }),
  APIKEY_USER_NOT_FOUND: scenario(async (call, cloud) => {
    await cloud.operators.closeAccount(cloud.accounts.shared.id);
    return call;
  }),
  CORPAPIKEY_INVALID: scenario(async (call, cloud) => {
    const yesterday = new Date(cloud.clock.now().getTime() - 86_400_000).toISOString();
    const expired = await cloud.operators.issueKey(cloud.accounts.enterprise.id, {
      expiresAt: yesterday,
    });
    return withKey(call, expired);
  }),
  APIKEY_UNSUPPORTED_FREE_USER: scenario((call, cloud) =>
    withKey(call, cloud.accounts.free.apiKey),
  ),
  WORKFLOW_NOT_EXISTS: byOperation({
    // Another account's private workflow is as unknown as a missing one.
    createTask: scenario((call, cloud) =>
      withBody(call, { workflowId: cloud.workflows.othersPrivate }),
    ),
    getWorkflowJson: scenario((call) => withBody(call, { workflowId: unknownId })),
  }),
  WORKFLOW_NOT_SAVED_OR_NOT_RUNNING: byOperation({
    createTask: scenario((call, cloud) => withBody(call, { workflowId: cloud.workflows.neverRun })),
    getWorkflowJson: scenario((call, cloud) =>
      withBody(call, { workflowId: cloud.workflows.othersPublic }),
    ),
  }),
  WEBAPP_NOT_EXISTS: scenario((call) => withBody(call, { webappId: unknownId })),
  APIKEY_INVALID_NODE_INFO: byOperation({
    // An input that is a link to another node, not a value.
    createTask: scenario((call) =>
      withBody(call, { nodeInfoList: [{ nodeId: '3', fieldName: 'model', fieldValue: 'x' }] }),
    ),
    // An upload of another account.
    runAiApp: scenario(async (call, cloud) =>
      withBody(call, { nodeInfoList: await imageInput(cloud, cloud.accounts.other.apiKey) }),
    ),
  }),
  VALIDATE_PROMPT_FAILED: byOperation({
    // The image-copy workflow with its default image, which ComfyUI does not have.
    createTask: scenario((call, cloud) =>
      withBody(call, { workflowId: cloud.workflows.imageCopy, nodeInfoList: [] }),
    ),
    runAiApp: scenario((call) => withBody(call, { nodeInfoList: [] })),
  }),
  TASK_QUEUE_MAXED: scenario(
    async (call, cloud) => {
      await sharedTask(cloud);
      return call;
    },
    { ...slow, concurrency: 1 },
  ),
  TASK_INSTANCE_MAXED: scenario(async (call, cloud) => {
    const exclusive = {
      apiKey: cloud.accounts.exclusive.apiKey,
      workflowId: cloud.workflows.exclusive,
    };
    await cloud.create(exclusive.apiKey, {
      workflowId: exclusive.workflowId,
      instanceType: 'plus',
    });
    return withBody(await as(cloud, call, exclusive), { instanceType: 'plus' });
  }, slow),
  TASK_USER_EXCLAPI_INSTANCE_NOT_FOUND: scenario((call, cloud) =>
    as(cloud, call, {
      apiKey: cloud.accounts.exclusive.apiKey,
      workflowId: cloud.workflows.exclusive,
    }),
  ),
  TASK_USER_EXCLAPI_REQUIRED: scenario((call) => withBody(call, { instanceType: 'plus' })),
  TASK_CREATE_FAILED_BY_NOT_ENOUGH_WALLET: scenario(async (call, cloud) =>
    as(cloud, call, await poorAccount(cloud)),
  ),
  CORPAPIKEY_INSUFFICIENT_FUNDS: scenario(async (call, cloud) =>
    as(cloud, call, await brokeEnterprise(cloud)),
  ),
  APIKEY_TASK_NOT_FOUND: byOperation({
    getTaskStatus: scenario((call) => withBody(call, { taskId: unknownId })),
    // Another account's task is not told apart from a missing one.
    ...Object.fromEntries(
      ['getTaskOutputs', 'cancelTask'].map((operationId) => [
        operationId,
        scenario(async (call, cloud) => {
          const taskId = await cloud.create(cloud.accounts.other.apiKey, {
            workflowId: cloud.workflows.othersPrivate,
          });
          return withBody(call, { taskId });
        }),
      ]),
    ),
  }),
  TASK_NOT_FOUNED: byOperation({
    // A task that ended (succeeded, or was cancelled) more than the retention ago.
    ...Object.fromEntries(
      ['getTaskStatus', 'getTaskOutputs'].map((operationId) => [
        operationId,
        scenario(async (call, cloud) => {
          await cloud.until(cloud.accounts.shared.apiKey, call.body?.taskId as string, 'SUCCESS');
          cloud.clock.advance(7 * 86_400 + 1);
          return call;
        }),
      ]),
    ),
    // Slow: a quick task could end before the first cancel.
    cancelTask: scenario(async (call, cloud) => {
      const cancelled = await send(cloud, call);
      expect(cancelled.body.code).toBe(0);
      cloud.clock.advance(7 * 86_400 + 1);
      return call;
    }, slow),
  }),
  APIKEY_TASK_IS_QUEUED: taskIn(
    slow,
    async (cloud) => {
      await sharedTask(cloud); // ComfyUI runs one prompt at a time: the next one waits
      return sharedTask(cloud);
    },
    outputsOf,
  ),
  APIKEY_TASK_IS_RUNNING: taskIn(
    slow,
    async (cloud) => {
      const taskId = await sharedTask(cloud);
      await cloud.until(cloud.accounts.shared.apiKey, taskId, 'RUNNING');
      return taskId;
    },
    outputsOf,
  ),
  APIKEY_TASK_STATUS_ERROR: byOperation({
    getTaskOutputs: taskIn(quick, failedTask, outputsOf),
    // A task cancelled already.
    cancelTask: scenario(async (call, cloud) => {
      const cancelled = await send(cloud, call);
      expect(cancelled.body.code).toBe(0);
      return call;
    }, slow),
  }),
  APIKEY_FILE_SIZE_EXCEEDED: scenario(
    (call) => ({ ...call, form: { ...(call.form as Form), file: new Uint8Array(2048) } }),
    { ...quick, config: { maxUploadBytes: 1024 } },
  ),
  APIKEY_UPLOAD_FAILED: scenario(
    async (call, cloud) => {
      const reply = await send(cloud, call);
      // A store that refused the file leaves nothing recorded.
      expect(await cloud.db.selectFrom('uploads').selectAll().execute()).toEqual([]);
      return reply;
    },
    { ...quick, storeCapacity: pngBytes.length - 1 },
  ),
};

const entries = new Map(catalog.errors.map((entry) => [entry.name as string, entry]));

describe.each(testDatabases)(
  'workflow-cloud server on %s: every documented (operation, code) pair',
  (database) => {
    const passed: string[] = [];
    afterAll(() => {
      const line = `workflow-cloud server on ${databaseLabel[database]}`;
      process.stdout.write(`\n${line}: ${passed.length}/${document.pairs.length} pairs\n`);
    });

    it.each(document.pairs)('$operationId answers $code', async (pair) => {
      const entry = entries.get(pair.code);
      const run = scenarios[pair.code];
      expect(run, `a scenario for ${pair.code}`).toBeDefined();
      const { cloud, reply } = await (run as Scenario)(pair, database);
      try {
        expect({ status: reply.status, code: reply.body?.code, msg: reply.body?.msg }).toEqual({
          status: entry?.status,
          code: entry?.code,
          msg: entry?.name,
        });
        expect(reply.contentType).toContain(catalog.wire.contentType);
        expect(
          document.validate(pair.operationId, reply.status, reply.contentType, reply.body),
        ).toEqual([]);
        if (pair.code === 'VALIDATE_PROMPT_FAILED') {
          // ComfyUI's report names the node and the input it refused: LoadImage's image.
          const tips = JSON.parse(reply.body.data.promptTips);
          expect(tips.node_errors['12'].errors[0].extra_info.input_name).toBe('image');
        }
        passed.push(`${pair.operationId} ${pair.code}`);
      } finally {
        await cloud.close();
      }
    });
  },
);
