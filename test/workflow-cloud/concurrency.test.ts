import { describe, expect, it } from 'vitest';
import { testDatabases } from '../support/database.ts';
import { type Cloud, startCloud } from './harness.ts';

/** The account's counters and wallet must be those its unfinished tasks account for. */
async function countersMatchTasks(cloud: Cloud, accountId: string) {
  const account = await cloud.db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  const tasks = await cloud.db
    .selectFrom('tasks')
    .selectAll()
    .where('account_id', '=', accountId)
    .execute();
  const unfinished = (instance: string) =>
    tasks.filter((t) => t.instance === instance && ['QUEUED', 'RUNNING'].includes(t.status)).length;
  expect(account.active_shared).toBe(unfinished('shared'));
  expect(account.active_exclusive).toBe(unfinished('exclusive'));
  return { account, tasks };
}

describe.each(testDatabases)('concurrent creates on %s', (database) => {
  it('accept exactly 5 of 30 on a shared limit of 5, charged 5 times, ten runs in a row', async () => {
    for (let run = 0; run < 10; run += 1) {
      // Prompts outlast the run: no task ends and frees a slot while the creates race.
      const cloud = await startCloud({ database, concurrency: 5, runMs: 60_000 });
      try {
        const { apiKey, id } = cloud.accounts.shared;
        const replies = await Promise.all(
          Array.from({ length: 30 }, () =>
            cloud.post('/task/openapi/create', { apiKey, workflowId: cloud.workflows.textToImage }),
          ),
        );
        const codes = replies.map((reply) => reply.body.code);
        expect(codes.filter((code) => code === 0)).toHaveLength(5);
        expect(codes.filter((code) => code === 421)).toHaveLength(25);
        const { account, tasks } = await countersMatchTasks(cloud, id);
        expect(tasks).toHaveLength(5);
        expect(account.coins).toBe(1000 - 5 * 10);
      } finally {
        await cloud.close();
      }
    }
  });

  it('run at most one task on one exclusive instance, and give every slot back', async () => {
    const cloud = await startCloud({ database, runMs: 200 });
    try {
      const { apiKey, id } = cloud.accounts.exclusive;
      const body = { apiKey, workflowId: cloud.workflows.exclusive, instanceType: 'plus' };
      const replies = await Promise.all(
        Array.from({ length: 10 }, () => cloud.post('/task/openapi/create', body)),
      );
      const accepted = replies.filter((reply) => reply.body.code === 0);
      expect(accepted).toHaveLength(1);
      expect(replies.filter((reply) => reply.body.code === 415)).toHaveLength(9);
      await cloud.until(apiKey, accepted[0]?.body.data.taskId, 'SUCCESS');
      const { account } = await countersMatchTasks(cloud, id);
      expect(account.active_exclusive).toBe(0);
      expect(account.coins).toBe(1000 - 10);
    } finally {
      await cloud.close();
    }
  });

  it('let a cancel and the end of a task race without losing or doubling a refund', async () => {
    const cloud = await startCloud({ database, runMs: 30 });
    try {
      const { apiKey, id } = cloud.accounts.shared;
      const taskIds = await Promise.all(
        Array.from({ length: 5 }, () =>
          cloud.create(apiKey, { workflowId: cloud.workflows.textToImage }),
        ),
      );
      const cancels = await Promise.all(
        taskIds.map((taskId) => cloud.post('/task/openapi/cancel', { apiKey, taskId })),
      );
      // Each cancel either won (the task is CANCELLED) or found it ended (805, SUCCESS).
      const outcomes = await Promise.all(
        taskIds.map(async (taskId, index) => {
          const status = await cloud.post('/task/openapi/status', { apiKey, taskId });
          return `${cancels[index]?.body.code} ${status.body.data}`;
        }),
      );
      for (const outcome of outcomes) {
        expect(['0 CANCELLED', '805 SUCCESS']).toContain(outcome);
      }
      // ComfyUI runs one prompt at a time: the later ones are still waiting when cancelled.
      expect(outcomes).toContain('0 CANCELLED');
      await cloud.monitor.tick();
      const { account, tasks } = await countersMatchTasks(cloud, id);
      // Only a task cancelled before it started is refunded.
      const charged = tasks.filter((task) => task.started_at !== null || task.status === 'SUCCESS');
      const refunded = tasks.length - charged.length;
      expect(account.coins).toBe(1000 - 10 * tasks.length + 10 * refunded);
    } finally {
      await cloud.close();
    }
  });
});
