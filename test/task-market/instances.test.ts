import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply, Session, TestAgent } from './harness.ts';
import {
  type MarketClient,
  type MarketInstance,
  type ProcessMarket,
  processMarket,
} from './process-harness.ts';

// Several instances share one PostgreSQL database: what one of them decides (a claim, a payout,
// a count against a rate limit) the other must see. On one SQLite file, two processes are not
// a supported deployment: concurrent writes from both fail with SQLITE_BUSY_SNAPSHOT (503), and
// two first starts race through the migrations; so these run on PostgreSQL only.

/** What the instances printed, for a failed expectation: their logs say what went wrong. */
const logsOf = (market: ProcessMarket) => `instances printed:\n${market.output()}`;

/** Fails with the answer when it is not `status`, and returns its data. */
function expectStatus(reply: Reply, status: number, market: ProcessMarket) {
  expect(reply.status, `${JSON.stringify(reply.body)}\n${logsOf(market)}`).toBe(status);
  return reply.body.data;
}

describe('two task-market processes on one PostgreSQL database', () => {
  let market: ProcessMarket;
  let instances: [MarketInstance, MarketInstance];
  /** The instance for the `index`th request of a batch: the two take turns. */
  const via = (index: number) => instances[index % 2] as MarketClient;

  beforeAll(async () => {
    market = await processMarket({ database: 'postgres', agents: 171 });
    // Both start at once on the empty database: they migrate it together, and agree on the
    // token secret the first of them generates and keeps there.
    instances = (await market.start(2)) as [MarketInstance, MarketInstance];
    await market.provision();
  });
  afterAll(() => market?.close());

  it('let exactly one of 20 agents claiming a task at once win, five rounds in a row', async () => {
    // Each agent signs in on one instance and is then served by both: one token secret.
    const [publisher, ...claimers] = (await Promise.all(
      market.agents.slice(0, 21).map((agent, index) => via(index).signIn(agent)),
    )) as [Session, ...Session[]];
    for (let round = 0; round < 5; round += 1) {
      const task = expectStatus(await via(round).publish(publisher, { bounty: 90 }), 201, market);
      const replies = await Promise.all(
        claimers.map((session, index) => via(index + round).act(session, task.id, 'claim')),
      );

      const winners = replies.filter((reply) => reply.status === 200);
      expect(winners, logsOf(market)).toHaveLength(1);
      for (const reply of replies.filter((r) => r.status !== 200)) {
        expect(reply.status, logsOf(market)).toBe(409);
        expect(reply.body).toMatchObject({ code: 40901, details: { current_status: 'claimed' } });
      }
      // The winner finishes, so that every claimer is free to race again in the next round.
      const executorId = winners[0]?.body.data.executor_id;
      const winner = claimers.find((session) => session.agent.id === executorId) as Session;
      const done = { content: `Round ${round}` };
      expectStatus(await via(round + 1).act(winner, task.id, 'submit', done), 200, market);
      expectStatus(await via(round).act(publisher, task.id, 'accept'), 200, market);
    }
    expect(await market.totalPoints()).toBe(market.agents.length * 1000);
    expect(await market.audit(), logsOf(market)).toEqual([]);
  });

  it('keep every point through 50 parallel publish/claim/submit/accept flows on both', async () => {
    const sessions = await Promise.all(
      market.agents.slice(21).map((agent, index) => via(index).signIn(agent)),
    );
    const publishers = sessions.slice(0, 50);
    const executors = sessions.slice(50, 100);
    const rivals = sessions.slice(100, 150);

    const accepted = await Promise.all(
      publishers.map(async (publisher, flow) => {
        const bounty = 1 + ((flow * 37) % 100);
        const task = expectStatus(await via(flow).publish(publisher, { bounty }), 201, market);
        // Two executors race for the task, one through each instance: one wins, one is told.
        const claims = await Promise.all([
          via(flow + 1).act(executors[flow] as Session, task.id, 'claim'),
          via(flow).act(rivals[flow] as Session, task.id, 'claim'),
        ]);
        const won = claims.findIndex((reply) => reply.status === 200);
        expect(claims.map((reply) => reply.body.code).sort(), logsOf(market)).toEqual([0, 40901]);
        const executor = (won === 0 ? executors : rivals)[flow] as Session;
        const content = { content: `Result ${flow}` };
        expectStatus(await via(flow).act(executor, task.id, 'submit', content), 200, market);
        // The publisher accepts twice at once, through both instances: it pays once.
        const accepts = await Promise.all([
          via(flow).act(publisher, task.id, 'accept'),
          via(flow + 1).act(publisher, task.id, 'accept'),
        ]);
        expect(accepts.map((reply) => reply.body.code).sort(), logsOf(market)).toEqual([0, 40906]);
        return { executor: executor.agent.id, bounty };
      }),
    );

    expect(await market.totalPoints()).toBe(market.agents.length * 1000);
    expect(await market.audit(), logsOf(market)).toEqual([]);
    const db = await market.database();
    const tasks = await db.selectFrom('tasks').select(['status', 'executor_id']).execute();
    expect(tasks.filter((task) => task.status !== 'accepted')).toEqual([]);
    // Every winner was paid its bounty, once.
    const accounts = await db.selectFrom('accounts').select(['agent_id', 'available']).execute();
    const available = new Map(accounts.map((account) => [account.agent_id, account.available]));
    for (const { executor, bounty } of accepted) {
      expect(available.get(executor)).toBe(1000 + bounty);
    }
  });
});

describe('a rate limit of 10 a minute on two task-market processes', () => {
  let market: ProcessMarket;
  let instances: [MarketInstance, MarketInstance];

  beforeAll(async () => {
    market = await processMarket({
      database: 'postgres',
      agents: 1,
      env: { TASK_MARKET_RATE_LIMIT: '10' },
    });
    instances = (await market.start(2)) as [MarketInstance, MarketInstance];
    await market.provision();
  });
  afterAll(() => market?.close());

  it('admits 10 of one agent’s 30 requests through both at once, and refuses the rest', async () => {
    // Sign-in counts against the address's limit, not the agent's.
    const session = await instances[0].signIn(market.agents[0] as TestAgent);
    // Windows are whole minutes of the system clock: with less than 15 s left in this one, the
    // burst could straddle two windows and be admitted twice over, so it waits for the next.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) {
      await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
    }
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        (instances[index % 2] as MarketClient).request('GET', '/points', { session }),
      ),
    );

    const admitted = replies.filter((reply) => reply.status === 200);
    const refused = replies.filter((reply) => reply.status !== 200);
    expect(admitted, logsOf(market)).toHaveLength(10);
    for (const reply of refused) {
      expect(reply.status).toBe(429);
      expect(reply.body).toMatchObject({ code: 42901, details: { limit: 10, window: '60s' } });
      const retryAfter = Number(reply.headers.get('retry-after'));
      expect(retryAfter).toBe(reply.body.details.retry_after);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Each instance got 15 of the 30: counting alone, each would have admitted 10 of its own.
    for (const parity of [0, 1]) {
      const through = replies.filter((_, index) => index % 2 === parity);
      expect(through.filter((reply) => reply.status === 429).length).toBeGreaterThanOrEqual(5);
    }
  });
});
