import { describe, expect, it } from 'vitest';
import { testDatabases } from '../support/database.ts';
import { type Market, type Session, startMarket } from './harness.ts';

/** Frozen points must be exactly the bounties of the tasks still running. */
async function frozenMatchesRunningTasks(market: Market) {
  const frozen = await market.db
    .selectFrom('accounts')
    .select(({ fn }) => fn.sum<number>('frozen').as('n'))
    .executeTakeFirstOrThrow();
  const running = await market.db
    .selectFrom('tasks')
    .select(({ fn }) => fn.sum<number>('bounty').as('n'))
    .where('status', 'in', ['open', 'claimed', 'submitted'])
    .executeTakeFirstOrThrow();
  expect(Number(frozen.n ?? 0)).toBe(Number(running.n ?? 0));
}

describe.each(testDatabases)('concurrent requests on %s', (database) => {
  it('let exactly one of 20 agents claiming a task at once win, ten rounds in a row', async () => {
    for (let round = 0; round < 10; round += 1) {
      const market = await startMarket({ agents: 21, database });
      try {
        const [publisher, ...claimers] = await market.signInAll();
        const task = await market.publish(publisher as Session, { bounty: 90 });
        const replies = await Promise.all(
          claimers.map((session) => market.request('POST', `/tasks/${task.id}/claim`, { session })),
        );

        const winners = replies.filter((reply) => reply.status === 200);
        expect(winners).toHaveLength(1);
        for (const reply of replies.filter((r) => r.status !== 200)) {
          expect(reply.body).toMatchObject({ code: 40901, details: { current_status: 'claimed' } });
        }
        expect(await market.totalPoints()).toBe(21 * 1000);
        expect(await market.auditLedger()).toEqual([]);
        await frozenMatchesRunningTasks(market);
      } finally {
        await market.close();
      }
    }
  });

  it('keep every point through 50 racing publish/cancel/claim/submit/accept flows', async () => {
    const market = await startMarket({ agents: 100, database });
    try {
      const sessions = await market.signInAll();
      const publishers = sessions.slice(0, 50);
      const executors = sessions.slice(50);
      const byAgent = new Map(sessions.map((session) => [session.agent.id, session]));
      // A task both of whose claimers were busy with their other task stays open, rightly.
      const bothBusy = new Set<string>();

      await Promise.all(
        publishers.map(async (publisher, flow) => {
          const task = await market.publish(publisher, { bounty: 1 + ((flow * 37) % 100) });
          // Two executors race for the task; every third publisher races them to cancel it,
          // sending first or last in turn.
          const claimers = [executors[flow], executors[(flow + 1) % 50]];
          const claim = (session: Session | undefined) =>
            market.request('POST', `/tasks/${task.id}/claim`, { session });
          const cancel = () =>
            market.request('POST', `/tasks/${task.id}/cancel`, { session: publisher });
          const replies =
            flow % 3 !== 0
              ? await Promise.all(claimers.map(claim))
              : flow % 2 === 0
                ? (await Promise.all([cancel(), ...claimers.map(claim)])).slice(1)
                : (await Promise.all([...claimers.map(claim), cancel()])).slice(0, 2);
          if (replies.every((reply) => reply.body?.code === 40902)) {
            bothBusy.add(task.id);
          }
          const current = (await market.request('GET', `/tasks/${task.id}`, { session: publisher }))
            .body.data;
          if (current.status !== 'claimed') {
            return;
          }
          const executor = byAgent.get(current.executor_id) as Session;
          await market.act(executor, task.id, 'submit', { content: `Result ${flow}` });
          if (flow % 5 === 0) {
            await market.act(publisher, task.id, 'reject', { reason: 'Once more.' });
            await market.act(executor, task.id, 'submit', { content: `Result ${flow}, again` });
          }
          await Promise.all([
            market.request('POST', `/tasks/${task.id}/accept`, { session: publisher }),
            market.request('POST', `/tasks/${task.id}/accept`, { session: publisher }),
          ]);
        }),
      );

      expect(await market.totalPoints()).toBe(100 * 1000);
      expect(await market.auditLedger()).toEqual([]);
      await frozenMatchesRunningTasks(market);
      const tasks = await market.db.selectFrom('tasks').select(['id', 'status']).execute();
      for (const task of tasks) {
        const ended = ['accepted', 'cancelled'];
        const settled =
          ended.includes(task.status) || (bothBusy.has(task.id) && task.status === 'open');
        expect(settled, `task ${task.id} is ${task.status}`).toBe(true);
      }
    } finally {
      await market.close();
    }
  });
});
