import { afterAll, describe, expect, it } from 'vitest';
import { databaseLabel, testDatabases } from '../support/database.ts';
import type { Reply, Session, TestAgent } from './harness.ts';
import {
  type MarketClient,
  type MarketInstance,
  type ProcessMarket,
  processMarket,
} from './process-harness.ts';

/** What a publisher sent for a task the market answered 201 for. */
interface Published {
  publisher: string;
  title: string;
  description: string;
  bounty: number;
  deadline: string;
}

/**
 * Every write the market answered with a success before it died: each must be in the database
 * after the restart. Writes without an answer may or may not have happened.
 */
class Journal {
  published = new Map<string, Published>();
  claimed = new Map<string, string>();
  submitted = new Map<string, string>();
  accepted = new Set<string>();
  cancelled = new Set<string>();
  /** Answers that were not a success: none is expected of this load, the kill aside. */
  refused: Reply[] = [];
  answered = 0;
  /** Writes that got no answer: sent before the process died, or refused a connection after. */
  unanswered = 0;
  /** Of those, the ones the process had a connection for when it died: under way. */
  cut = 0;
}

/** How many of each kind of agent put the market under load. */
const pairs = 12;

/**
 * Sends one write and keeps its answer; resolves `undefined` when there is none (the process
 * died first) or it is not a success, which ends the worker that sent it.
 */
async function send(journal: Journal, write: () => Promise<Reply>): Promise<Reply | undefined> {
  let reply: Reply;
  try {
    reply = await write();
  } catch (error) {
    journal.unanswered += 1;
    if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNREFUSED') {
      journal.cut += 1;
    }
    return undefined;
  }
  journal.answered += 1;
  if (reply.status >= 300) {
    journal.refused.push(reply);
    return undefined;
  }
  return reply;
}

/**
 * Publishes, claims, submits and accepts task after task for one publisher and its executor
 * until the market stops answering, keeping each success in the journal.
 */
async function flows(
  journal: Journal,
  market: MarketClient,
  publisher: Session,
  executor: Session,
) {
  for (let flow = 0; ; flow += 1) {
    const task: Omit<Published, 'publisher'> = {
      title: `Flow ${flow} of ${publisher.agent.name}`,
      description: `Brief ${flow}`,
      bounty: 1 + (flow % 9),
      deadline: new Date(Date.now() + 86_400_000).toISOString(),
    };
    const published = await send(journal, () => market.publish(publisher, task));
    if (!published) {
      return;
    }
    const id = published.body.data.id as string;
    journal.published.set(id, { publisher: publisher.agent.id, ...task });
    if (!(await send(journal, () => market.act(executor, id, 'claim')))) {
      return;
    }
    journal.claimed.set(id, executor.agent.id);
    const content = `Result ${flow} by ${executor.agent.name}`;
    if (!(await send(journal, () => market.act(executor, id, 'submit', { content })))) {
      return;
    }
    journal.submitted.set(id, content);
    if (!(await send(journal, () => market.act(publisher, id, 'accept')))) {
      return;
    }
    journal.accepted.add(id);
  }
}

/** Publishes and cancels task after task, beside the publisher's flows, on the same account. */
async function publishAndCancel(journal: Journal, market: MarketClient, publisher: Session) {
  for (let round = 0; ; round += 1) {
    const task = {
      title: `Side ${round} of ${publisher.agent.name}`,
      description: '',
      bounty: 10,
      deadline: new Date(Date.now() + 86_400_000).toISOString(),
    };
    const published = await send(journal, () => market.publish(publisher, task));
    if (!published) {
      return;
    }
    const id = published.body.data.id as string;
    journal.published.set(id, { publisher: publisher.agent.id, ...task });
    if (!(await send(journal, () => market.act(publisher, id, 'cancel')))) {
      return;
    }
    journal.cancelled.add(id);
  }
}

/** What the database must hold of every success in the journal; the differences found. */
async function lostWrites(market: ProcessMarket, journal: Journal): Promise<string[]> {
  const db = await market.database();
  const rows = new Map((await db.selectFrom('tasks').selectAll().execute()).map((t) => [t.id, t]));
  const problems: string[] = [];
  for (const [id, sent] of journal.published) {
    const row = rows.get(id);
    const kept = row && {
      publisher: row.publisher_id,
      title: row.title,
      description: row.description,
      bounty: row.bounty,
      deadline: row.deadline,
    };
    if (JSON.stringify(kept) !== JSON.stringify(sent)) {
      problems.push(`publish of ${id}: sent ${JSON.stringify(sent)}, kept ${JSON.stringify(kept)}`);
    }
  }
  for (const [id, executor] of journal.claimed) {
    const task = rows.get(id);
    if (
      task?.executor_id !== executor ||
      !['claimed', 'submitted', 'accepted'].includes(task.status)
    ) {
      problems.push(`claim of ${id} was answered, the database has ${JSON.stringify(task)}`);
    }
  }
  for (const [id, content] of journal.submitted) {
    const task = rows.get(id);
    if (task?.submission_content !== content || !['submitted', 'accepted'].includes(task.status)) {
      problems.push(`submit of ${id} was answered, the database has ${JSON.stringify(task)}`);
    }
  }
  for (const [ids, status] of [
    [journal.accepted, 'accepted'],
    [journal.cancelled, 'cancelled'],
  ] as const) {
    for (const id of ids) {
      if (rows.get(id)?.status !== status) {
        problems.push(
          `${status} ${id} was answered, the database has ${JSON.stringify(rows.get(id))}`,
        );
      }
    }
  }
  return problems;
}

describe.each(testDatabases)('a task-market process killed mid-load on %s', (database) => {
  let market: ProcessMarket | undefined;
  afterAll(() => market?.close());

  it('keeps every answered write, and nothing half-written, once restarted', async () => {
    market = await processMarket({ database, agents: 2 * pairs });
    const [first] = (await market.start(1)) as [MarketInstance];
    await market.provision();
    const sessions = await Promise.all(market.agents.map((agent) => first.signIn(agent)));
    const publishers = sessions.slice(0, pairs);
    const executors = sessions.slice(pairs);

    // Two writers per publisher (its flows, its side tasks) move its account at once.
    const journal = new Journal();
    const load = Promise.all(
      publishers.flatMap((publisher, index) => [
        flows(journal, first, publisher, executors[index] as Session),
        publishAndCancel(journal, first, publisher),
      ]),
    );
    // Killed at a moment of its own each run, once the load is well under way.
    while (journal.answered < 100) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
    await first.kill();
    await load;

    expect(first.signal).toBe('SIGKILL');
    expect(journal.refused, market.output()).toEqual([]);
    // Each writer ended on a write the dead process never answered; some were under way.
    expect(journal.unanswered).toBe(2 * pairs);
    expect(journal.cut).toBeGreaterThan(0);
    expect(journal.accepted.size).toBeGreaterThan(0);

    const [second] = (await market.start(1)) as [MarketInstance];
    expect(await lostWrites(market, journal)).toEqual([]);
    expect(await market.totalPoints()).toBe(2 * pairs * 1000);
    expect(await market.audit()).toEqual([]);

    // The new process serves: a sign-in, a token from before the crash, a read and a write.
    const again = await second.signIn(market.agents[0] as TestAgent);
    const listed = await second.request('GET', '/tasks', { session: publishers[1] });
    expect(listed.status).toBe(200);
    const published = await second.publish(again, { bounty: 5 });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    process.stdout.write(
      `\ntask-market killed on ${databaseLabel[database]} after ${journal.answered} answers` +
        ` (${journal.published.size} published, ${journal.accepted.size} accepted,` +
        ` ${journal.cancelled.size} cancelled), ${journal.cut} writes cut off: none lost\n`,
    );
  });
});
