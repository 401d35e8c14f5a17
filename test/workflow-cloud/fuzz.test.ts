import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { databaseLabel, testDatabases } from '../support/database.ts';
import { type DocumentOperation, loadDocument } from '../support/documents.ts';
import { type FilePart, type Prepared, runFuzz } from '../support/fuzz.ts';
import { type Cloud, pngBytes, startCloud } from './harness.ts';

// The negative-input fuzz run against the workflow-cloud server: every operation, each request
// wrong in one way (or valid, on fresh state), every answer documented for its operation. Every
// answer is HTTP 200 `{code, msg, data}`: the judge holds each `code` to its operation's x-errors.
// FUZZ_SEED=<n> picks other cases; a failure prints the seed and the requests that reproduce it.

const document = loadDocument('workflow-cloud');

/** What the valid requests use: the `shared` account's key, its workflow, a task, an upload. */
interface Fixtures {
  cloud: Cloud;
  apiKey: string;
  /** A task of the `shared` account that succeeded: it has outputs. */
  taskId: string;
  /** A file the `shared` account uploaded, for the AI app's image input. */
  fileName: string;
  /** Where the tasks' webhooks go: a receiver of the test's own, not the document's example.org. */
  webhookUrl: string;
}

async function fixtures(cloud: Cloud, webhookUrl: string): Promise<Fixtures> {
  const { apiKey, id } = cloud.accounts.shared;
  // Every case that creates a task is charged: a wallet that never runs dry (416).
  await cloud.operators.topUp(id, 10_000_000);
  const taskId = await cloud.create(apiKey, { workflowId: cloud.workflows.textToImage });
  await cloud.until(apiKey, taskId, 'SUCCESS');
  const uploaded = await cloud.upload(apiKey);
  if (uploaded.body.code !== 0) {
    throw new Error(`upload failed: ${JSON.stringify(uploaded.body)}`);
  }
  return { cloud, apiKey, taskId, fileName: uploaded.body.data.fileName, webhookUrl };
}

/** A request the operation accepts, from the `shared` account's key, on fresh state where needed. */
async function prepare(f: Fixtures, operation: DocumentOperation): Promise<Prepared> {
  const { operationId } = operation;
  const { cloud, apiKey } = f;
  const base = document.validRequest(operationId);
  const body = { ...(base.body as Record<string, unknown>) };
  const request = { ...base, body };
  // The key travels in the body (`apikey` for the account status), not in a header.
  body[operationId === 'getAccountStatus' ? 'apikey' : 'apiKey'] = apiKey;
  const fields: Record<string, Record<string, unknown>> = {
    createTask: { workflowId: cloud.workflows.textToImage, webhookUrl: f.webhookUrl },
    runAiApp: {
      webappId: cloud.webappId,
      // The app's image input names an upload, which must be the caller's (803 otherwise).
      nodeInfoList: [{ nodeId: '12', fieldName: 'image', fieldValue: f.fileName }],
    },
    getTaskStatus: { taskId: f.taskId },
    getTaskOutputs: { taskId: f.taskId },
    getWorkflowJson: { workflowId: cloud.workflows.textToImage },
    // A PNG declared as one: an upload of any other media type is refused (301).
    uploadFile: {
      file: { bytes: pngBytes, contentType: 'image/png', filename: 'photo.png' } satisfies FilePart,
    },
  };
  Object.assign(body, fields[operationId]);
  if (operationId !== 'cancelTask') {
    return { request };
  }
  // A task of its own, not ended yet; whatever the case did, it is cancelled after the answer.
  const taskId = await cloud.create(apiKey, { workflowId: cloud.workflows.textToImage });
  body.taskId = taskId;
  return {
    request,
    release: async () => {
      await cloud.post('/task/openapi/cancel', { apiKey, taskId });
    },
  };
}

/** A webhook receiver that takes every call. */
async function startReceiver() {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/workflow-cloud`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The fuzz run on each database, named `workflow-cloud`, `workflow-cloud on PostgreSQL`. */
const runs = testDatabases.map(
  (database) =>
    [
      database === 'sqlite' ? 'workflow-cloud' : `workflow-cloud on ${databaseLabel[database]}`,
      database,
    ] as const,
);

it.each(runs)(
  '%s fuzz: every answer is documented for its operation',
  async (label, database) => {
    const receiver = await startReceiver();
    // No shared limit to reach (421): the valid creates are each accepted.
    const cloud = await startCloud({ database, concurrency: 1_000_000, runMs: 200 });
    try {
      const f = await fixtures(cloud, receiver.url);
      const result = await runFuzz({
        label,
        service: 'workflow-cloud',
        origin: cloud.origin,
        prepare: (operation) => prepare(f, operation),
      });
      expect(result.distinct).toBeGreaterThanOrEqual(1000);
      expect(result.undocumented, result.report).toBe(0);
    } finally {
      await cloud.close();
      await receiver.close();
    }
  },
  120_000,
);
