import { afterEach, describe, expect, it } from 'vitest';
import { type Cloud, startCloud } from './harness.ts';

describe('accounts and what they own', () => {
  let cloud: Cloud;
  afterEach(() => cloud?.close());

  it('keeps a task, an upload and a private workflow to their account: a third sees none', async () => {
    cloud = await startCloud({ runMs: 60_000 });
    const owner = cloud.accounts.shared.apiKey;
    const stranger = cloud.accounts.other.apiKey;
    const taskId = await cloud.create(owner, { workflowId: cloud.workflows.textToImage });
    const fileName = (await cloud.upload(owner)).body.data.fileName;

    for (const path of ['status', 'outputs', 'cancel']) {
      const reply = await cloud.post(`/task/openapi/${path}`, { apiKey: stranger, taskId });
      expect(reply.body).toEqual({ code: 807, msg: 'APIKEY_TASK_NOT_FOUND', data: null });
    }
    // The owner's task is untouched by the stranger's cancel.
    expect((await cloud.post('/task/openapi/status', { apiKey: owner, taskId })).body.data).toMatch(
      /QUEUED|RUNNING/,
    );
    const own = cloud.workflows.othersPrivate; // the stranger's own workflow, to carry the upload
    const borrowed = await cloud.post('/task/openapi/create', {
      apiKey: stranger,
      workflowId: own,
      nodeInfoList: [{ nodeId: '6', fieldName: 'text', fieldValue: fileName }],
    });
    expect(borrowed.body.code).toBe(803);
    for (const path of ['/task/openapi/create', '/api/openapi/getJsonApiFormat']) {
      const reply = await cloud.post(path, { apiKey: owner, workflowId: own });
      expect(reply.body.code).toBe(380);
    }
  });

  it('answers each account its own status: coins, funds, running tasks, its API', async () => {
    cloud = await startCloud({ runMs: 60_000 });
    const { shared, exclusive, enterprise } = cloud.accounts;
    await cloud.create(shared.apiKey, { workflowId: cloud.workflows.textToImage });
    const status = async (apikey: string) =>
      (await cloud.post('/uc/openapi/accountStatus', { apikey })).body.data;
    expect(await status(shared.apiKey)).toEqual({
      remainCoins: '990',
      currentTaskCounts: '1',
      remainMoney: null,
      currency: null,
      apiType: 'NORMAL',
    });
    expect((await status(exclusive.apiKey)).apiType).toBe('PLUS');
    expect(await status(enterprise.apiKey)).toMatchObject({
      remainMoney: '10.00',
      currency: 'CNY',
    });
  });

  it('charges an enterprise its funds, not coins', async () => {
    cloud = await startCloud({ runMs: 30 });
    const { apiKey, id } = cloud.accounts.enterprise;
    await cloud.create(apiKey, { workflowId: cloud.workflows.enterprise });
    const account = await cloud.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect({ money: account.money_cents, coins: account.coins }).toEqual({ money: 990, coins: 0 });
  });

  it.each([
    [
      'a revoked key',
      async (c: Cloud) => {
        await c.operators.revokeKey(c.accounts.shared.apiKey);
        return c.accounts.shared.apiKey;
      },
      802,
    ],
    [
      'an expired key of a shared account',
      async (c: Cloud) =>
        c.operators.issueKey(c.accounts.shared.id, { expiresAt: c.clock.now().toISOString() }),
      802,
    ],
    [
      'an expired enterprise key',
      async (c: Cloud) =>
        c.operators.issueKey(c.accounts.enterprise.id, { expiresAt: c.clock.now().toISOString() }),
      811,
    ],
    [
      'a key of a closed account',
      async (c: Cloud) => {
        await c.operators.closeAccount(c.accounts.other.id);
        return c.accounts.other.apiKey;
      },
      806,
    ],
    ['a free account’s key', async (c: Cloud) => c.accounts.free.apiKey, 801],
  ])('refuses %s', async (_, keyOf, code) => {
    cloud = await startCloud();
    const apikey = await keyOf(cloud);
    expect((await cloud.post('/uc/openapi/accountStatus', { apikey })).body.code).toBe(code);
  });

  it('runs an uploaded image through a workflow and answers its files', async () => {
    cloud = await startCloud({ runMs: 30 });
    const { apiKey } = cloud.accounts.shared;
    const fileName = (await cloud.upload(apiKey)).body.data.fileName;
    expect(fileName).toMatch(/^api\/[0-9a-f]{16}\.png$/);
    const taskId = await cloud.create(apiKey, {
      workflowId: cloud.workflows.imageCopy,
      nodeInfoList: [{ nodeId: '12', fieldName: 'image', fieldValue: fileName }],
    });
    await cloud.until(apiKey, taskId, 'SUCCESS');
    const outputs = await cloud.post('/task/openapi/outputs', { apiKey, taskId });
    expect(outputs.body.data).toEqual([
      expect.objectContaining({
        nodeId: '13',
        fileType: 'png',
        fileUrl: expect.stringMatching(/^http/),
      }),
    ]);
  });

  it('gives back the cost of a task cancelled before it started', async () => {
    cloud = await startCloud({ runMs: 60_000 });
    const { apiKey, id } = cloud.accounts.shared;
    const running = await cloud.create(apiKey, { workflowId: cloud.workflows.textToImage });
    const queued = await cloud.create(apiKey, { workflowId: cloud.workflows.textToImage });
    await cloud.until(apiKey, running, 'RUNNING');
    // The queued one first: once the running one stops, ComfyUI starts the next.
    for (const taskId of [queued, running]) {
      expect((await cloud.post('/task/openapi/cancel', { apiKey, taskId })).body.code).toBe(0);
      expect((await cloud.post('/task/openapi/status', { apiKey, taskId })).body.data).toBe(
        'CANCELLED',
      );
    }
    const account = await cloud.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect({ coins: account.coins, slots: account.active_shared }).toEqual({
      coins: 990,
      slots: 0,
    });
  });
});
