import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cloud, startCloud } from './harness.ts';

/** A webhook receiver answering each call with the next status of `answers` (then 200). */
async function receiver(answers: number[] = [], { hang = false } = {}) {
  const calls: { body: Record<string, unknown> }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      if (!hang) {
        response.writeHead(answers.shift() ?? 200).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    calls,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Waits until `check` holds, five seconds at most. */
async function eventually(check: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const taskRow = (cloud: Cloud, taskId: string) =>
  cloud.db.selectFrom('tasks').selectAll().where('id', '=', taskId).executeTakeFirstOrThrow();

describe('the monitor', () => {
  let cloud: Cloud;
  afterEach(() => cloud?.close());

  it('posts the outputs to the webhook once, with the files the outputs answer gives', async () => {
    cloud = await startCloud({ runMs: 30 });
    const hook = await receiver();
    try {
      const { apiKey } = cloud.accounts.shared;
      const taskId = await cloud.create(apiKey, {
        workflowId: cloud.workflows.textToImage,
        webhookUrl: hook.url,
      });
      await eventually(() => hook.calls.length === 1);
      const outputs = await cloud.post('/task/openapi/outputs', { apiKey, taskId });
      const { event, taskId: posted, eventData } = hook.calls[0]?.body ?? {};
      expect({ event, posted }).toEqual({ event: 'TASK_END', posted: taskId });
      expect(JSON.parse(String(eventData))).toEqual(outputs.body);
      const file = await fetch(outputs.body.data[0].fileUrl);
      expect(file.headers.get('content-type')).toBe('image/png');
      // Later rounds send nothing more.
      await cloud.monitor.tick();
      await cloud.monitor.tick();
      expect(hook.calls).toHaveLength(1);
      expect((await taskRow(cloud, taskId)).webhook_state).toBe('sent');
    } finally {
      await hook.close();
    }
  });

  it('tells the webhook of a failure with the answer outputs gives it', async () => {
    cloud = await startCloud({ runMs: 30 });
    const hook = await receiver();
    try {
      const { apiKey } = cloud.accounts.shared;
      const taskId = await cloud.create(apiKey, {
        workflowId: cloud.workflows.textToImage,
        nodeInfoList: [{ nodeId: '6', fieldName: 'text', fieldValue: 'please fail' }],
        webhookUrl: hook.url,
      });
      await eventually(() => hook.calls.length === 1);
      const outputs = await cloud.post('/task/openapi/outputs', { apiKey, taskId });
      expect(outputs.body.code).toBe(805);
      expect(JSON.parse(String(hook.calls[0]?.body.eventData))).toEqual(outputs.body);
      expect((await taskRow(cloud, taskId)).failure).toContain('failed in the stand-in');
    } finally {
      await hook.close();
    }
  });

  it.each([
    ['answers 500 twice', [500, 500], 3, 'sent'],
    ['always answers 500', [500, 500, 500, 500, 500], 4, 'failed'],
  ])('retries a webhook that %s', async (_, answers, calls, state) => {
    cloud = await startCloud({ runMs: 30 });
    const hook = await receiver(answers);
    try {
      const { apiKey } = cloud.accounts.shared;
      const taskId = await cloud.create(apiKey, {
        workflowId: cloud.workflows.textToImage,
        webhookUrl: hook.url,
      });
      await eventually(async () => {
        cloud.clock.advance(1); // past each retry's delay
        return (await taskRow(cloud, taskId)).webhook_state === state;
      });
      expect(hook.calls).toHaveLength(calls);
      expect((await taskRow(cloud, taskId)).webhook_attempts).toBe(calls);
    } finally {
      await hook.close();
    }
  });

  it('gives up on a webhook call that outlasts its timeout, and calls again', async () => {
    cloud = await startCloud({
      runMs: 30,
      config: {
        webhook: { timeoutMs: 100, retryDelaySeconds: 0.05, attempts: 2, allowInternal: true },
      },
    });
    const hook = await receiver([], { hang: true });
    try {
      const { apiKey } = cloud.accounts.shared;
      const taskId = await cloud.create(apiKey, {
        workflowId: cloud.workflows.textToImage,
        webhookUrl: hook.url,
      });
      await eventually(async () => {
        cloud.clock.advance(1);
        return (await taskRow(cloud, taskId)).webhook_state === 'failed';
      });
      expect(hook.calls).toHaveLength(2);
    } finally {
      await hook.close();
    }
  });

  it('deletes the files of a task past its retention, which then answers 423', async () => {
    cloud = await startCloud({ runMs: 30 });
    const { apiKey } = cloud.accounts.shared;
    const taskId = await cloud.create(apiKey, { workflowId: cloud.workflows.textToImage });
    await cloud.until(apiKey, taskId, 'SUCCESS');
    const outputs = await cloud.post('/task/openapi/outputs', { apiKey, taskId });
    const { fileUrl } = outputs.body.data[0];
    expect((await fetch(fileUrl)).status).toBe(200);

    cloud.clock.advance(7 * 86_400 + 1);
    await cloud.monitor.tick();
    expect((await fetch(fileUrl)).status).toBe(404);
    expect((await taskRow(cloud, taskId)).purged_at).not.toBeNull();
    for (const path of ['status', 'outputs', 'cancel']) {
      const reply = await cloud.post(`/task/openapi/${path}`, { apiKey, taskId });
      expect(reply.body.code).toBe(423);
    }
  });

  it('fails a task ComfyUI lost (restarted without it), freeing its slot', async () => {
    cloud = await startCloud({ runMs: 60_000 });
    const { apiKey, id } = cloud.accounts.shared;
    const taskId = await cloud.create(apiKey, { workflowId: cloud.workflows.textToImage });
    await cloud.until(apiKey, taskId, 'RUNNING');
    // A ComfyUI that forgot the prompt: the row points at an id it never had.
    await cloud.db
      .updateTable('tasks')
      .set({ prompt_id: 'forgotten' })
      .where('id', '=', taskId)
      .execute();
    await cloud.until(apiKey, taskId, 'FAILED');
    expect((await taskRow(cloud, taskId)).failure).toBe('ComfyUI lost the prompt');
    const account = await cloud.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(account.active_shared).toBe(0);
  });

  it('fails and refunds a task whose request died before ComfyUI had it', async () => {
    cloud = await startCloud({ runMs: 30 });
    const { apiKey, id } = cloud.accounts.shared;
    const taskId = await cloud.create(apiKey, { workflowId: cloud.workflows.textToImage });
    await cloud.until(apiKey, taskId, 'SUCCESS');
    // As a reservation its process never sent on: QUEUED, no prompt id, a slot and coins held.
    await cloud.db
      .insertInto('tasks')
      .values({
        ...(await taskRow(cloud, taskId)),
        id: '1111111111111111111',
        status: 'QUEUED',
        prompt_id: null,
        ended_at: null,
        outputs: null,
      })
      .execute();
    await cloud.db
      .updateTable('accounts')
      .set((eb) => ({ active_shared: eb('active_shared', '+', 1), coins: eb('coins', '-', 10) }))
      .where('id', '=', id)
      .execute();
    cloud.clock.advance(61);
    await cloud.monitor.tick();
    const row = await taskRow(cloud, '1111111111111111111');
    expect(row.status).toBe('FAILED');
    const account = await cloud.db
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect({ slots: account.active_shared, coins: account.coins }).toEqual({
      slots: 0,
      coins: 990,
    });
  });

  it('does not call a task SUCCESS while its files cannot be stored', async () => {
    cloud = await startCloud({ runMs: 30 });
    const { apiKey } = cloud.accounts.shared;
    await cloud.stopStore();
    const taskId = await cloud.create(apiKey, { workflowId: cloud.workflows.textToImage });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await cloud.monitor.tick();
    expect((await cloud.post('/task/openapi/status', { apiKey, taskId })).body.data).not.toBe(
      'SUCCESS',
    );
  });
});
