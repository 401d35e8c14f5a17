import {
  createWorkflowCloudClient,
  isApiError,
  isSuccess,
} from 'api-contracts/client/workflow-cloud';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cloud, pngBytes, startCloud } from './harness.ts';

describe('createWorkflowCloudClient against the server', () => {
  let cloud: Cloud;
  afterEach(() => cloud?.close());

  it('uploads an image, runs a workflow on it, follows it and fetches its files', async () => {
    cloud = await startCloud({ runMs: 100 });
    const client = createWorkflowCloudClient({ origin: cloud.origin, retry: false });
    const { apiKey } = cloud.accounts.shared;

    // The file travels as a Blob; openapi-fetch sends what bodySerializer makes of the fields.
    const photo = new Blob([pngBytes], { type: 'image/png' });
    const uploaded = await client.POST('/task/openapi/upload', {
      body: { apiKey, fileType: 'image', file: photo as unknown as string },
      bodySerializer: (fields) => {
        const form = new FormData();
        for (const [name, value] of Object.entries(fields)) {
          form.set(name, value as string | Blob);
        }
        return form;
      },
    });
    if (!isSuccess(uploaded.data)) {
      throw new Error(`upload: ${JSON.stringify(uploaded.data)}`);
    }
    const { fileName } = uploaded.data.data;

    const created = await client.POST('/task/openapi/create', {
      body: {
        apiKey,
        workflowId: cloud.workflows.imageCopy,
        nodeInfoList: [{ nodeId: '12', fieldName: 'image', fieldValue: fileName }],
      },
    });
    if (!isSuccess(created.data)) {
      throw new Error(`create: ${JSON.stringify(created.data)}`);
    }
    const { taskId } = created.data.data;

    const early = await client.POST('/task/openapi/outputs', { body: { apiKey, taskId } });
    expect(
      isApiError(early.data, 'APIKEY_TASK_IS_QUEUED') ||
        isApiError(early.data, 'APIKEY_TASK_IS_RUNNING'),
    ).toBe(true);

    let status: string | undefined;
    for (let poll = 0; poll < 100 && status !== 'SUCCESS'; poll += 1) {
      const answer = await client.POST('/task/openapi/status', { body: { apiKey, taskId } });
      status = isSuccess(answer.data) ? answer.data.data : undefined;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe('SUCCESS');

    const outputs = await client.POST('/task/openapi/outputs', { body: { apiKey, taskId } });
    expect(isSuccess(outputs.data)).toBe(true);
    if (isSuccess(outputs.data)) {
      const [file] = outputs.data.data;
      expect(file?.nodeId).toBe('13');
      expect((await fetch(file?.fileUrl ?? '')).status).toBe(200);
    }
  });

  it('narrows a refusal of the server to its code', async () => {
    cloud = await startCloud();
    const client = createWorkflowCloudClient({ origin: cloud.origin, retry: false });
    const { data } = await client.POST('/task/openapi/create', {
      body: {
        apiKey: cloud.accounts.shared.apiKey,
        workflowId: cloud.workflows.textToImage,
        nodeInfoList: [{ nodeId: '99', fieldName: 'text', fieldValue: 'a cat' }],
      },
    });
    expect(isApiError(data, 'APIKEY_INVALID_NODE_INFO')).toBe(true);
  });
});
