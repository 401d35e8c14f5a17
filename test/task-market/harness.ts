import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/platform/clock.ts';
import { sign } from '../../src/task-market/auth.ts';
import type { TaskMarketConfig } from '../../src/task-market/config.ts';
import type { Db } from '../../src/task-market/database.ts';
import { taskMarket } from '../../src/task-market/index.ts';
import { startOpenClawStandIn } from '../../src/task-market/openclaw-standin.ts';
import { databaseFor, type TestDatabase } from '../support/database.ts';
import { startService } from '../support/service.ts';

export interface TestAgent {
  id: string;
  name: string;
  secret: string;
}

export interface Session {
  agent: TestAgent;
  token: string;
  signingKey: string;
}

export interface Reply {
  status: number;
  headers: Headers;
  contentType: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape
  body: any;
}

export interface RequestOptions {
  session?: Session;
  /** Sign the request with the session's key (the default for POST and PUT). */
  signed?: boolean;
  body?: unknown;
  /** A raw body sent as is, for malformed JSON and Markdown. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface MarketOptions {
  /** SQLite in memory (the default) or a fresh PostgreSQL database. */
  database?: TestDatabase;
  config?: Partial<TaskMarketConfig>;
  /** How many agents to provision, each with `points`. */
  agents?: number;
  points?: number;
}

export type Market = Awaited<ReturnType<typeof startMarket>>;

/**
 * A task market on an in-memory database, started as `npm start` starts it, listening on
 * 127.0.0.1 at a port of its own, with an OpenClaw stand-in that knows its agents.
 */
export async function startMarket(options: MarketOptions = {}) {
  const agents: TestAgent[] = Array.from({ length: options.agents ?? 3 }, (_, index) => ({
    id: randomUUID(),
    name: `agent-${index}`,
    secret: `secret-${randomUUID()}`,
  }));
  // OpenClaw knows every test agent and one outsider, never provisioned on the market.
  const outsider = { id: randomUUID(), name: 'outsider', secret: `secret-${randomUUID()}` };
  const standIn = await startOpenClawStandIn(
    new Map([...agents, outsider].map((agent) => [agent.id, agent.secret])),
  );
  const briefsDirectory = join(mkdtempSync(join(tmpdir(), 'task-market-')), 'briefs');
  const database = await databaseFor(options.database ?? 'sqlite');
  const started = await startService(taskMarket, {
    ...taskMarket.settings({}),
    database: database.location,
    briefsDirectory,
    openclawUrl: standIn.url,
    ...options.config,
  });
  const { origin, clock, lifecycle, service: market } = started;
  const { db } = market;
  for (const agent of agents) {
    await market.operators.provisionAgent({ ...agent, points: options.points ?? 1000 });
  }

  const request = (method: string, path: string, options: RequestOptions = {}) =>
    sendRequest(origin, clock, method, path, options);

  async function signIn(agent: TestAgent): Promise<Session> {
    const reply = await request('POST', '/auth/token', {
      body: { agent_id: agent.id, secret: agent.secret },
    });
    if (reply.status !== 200) {
      throw new Error(`sign-in of ${agent.name} failed: ${JSON.stringify(reply.body)}`);
    }
    return { agent, token: reply.body.data.access_token, signingKey: reply.body.data.signing_key };
  }

  /** Publishes a task due in a day (unless `deadline` says otherwise) and returns it. */
  async function publish(session: Session, task: Record<string, unknown> = {}) {
    const reply = await request('POST', '/tasks', {
      session,
      body: {
        title: 'Summarise three papers',
        bounty: 50,
        deadline: new Date(clock.now().getTime() + 86_400_000).toISOString(),
        ...task,
      },
    });
    if (reply.status !== 201) {
      throw new Error(`publish failed: ${JSON.stringify(reply.body)}`);
    }
    return reply.body.data as { id: string; bounty: number; status: string };
  }

  /** Moves a task by one action and fails the test when the action is refused. */
  async function act(session: Session, taskId: string, action: string, body?: unknown) {
    const reply = await request('POST', `/tasks/${taskId}/${action}`, { session, body });
    if (reply.status !== 200) {
      throw new Error(`${action} failed: ${JSON.stringify(reply.body)}`);
    }
    return reply.body.data as { id: string; status: string };
  }

  return {
    origin,
    clock,
    db,
    operators: market.operators,
    lifecycle,
    tasks: market.tasks,
    briefsDirectory,
    agents,
    outsider,
    request,
    signIn,
    /** Signs every agent in, in the order of `agents`. */
    signInAll: () => Promise.all(agents.map(signIn)),
    publish,
    act,
    /** Every agent's available plus frozen points. */
    totalPoints: () => totalPointsOf(db),
    /** The problems auditLedgerOf finds in this market's database. */
    auditLedger: () => auditLedgerOf(db),
    /** OpenClaw goes away: sign-ins can no longer be checked. */
    stopOpenClaw: () => standIn.close(),
    async close() {
      await started.close();
      await standIn.close().catch(() => undefined);
      await database.drop();
    },
  };
}

/**
 * A request to the task market at `origin`, as an agent when `options.session` is given: writes
 * signed with its key at `clock`'s time.
 */
export async function sendRequest(
  origin: string,
  clock: Clock,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply> {
  const raw =
    options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = { ...options.headers };
  if (raw !== undefined) {
    headers['content-type'] ??= options.contentType ?? 'application/json';
  }
  if (options.session) {
    headers.authorization ??= `Bearer ${options.session.token}`;
    if (options.signed ?? (method === 'POST' || method === 'PUT')) {
      // The test clock stands still: a key of its own keeps each write from being a replay.
      headers['idempotency-key'] ??= randomUUID();
      const timestamp = String(Math.floor(clock.now().getTime() / 1000));
      headers['x-timestamp'] ??= timestamp;
      headers['x-signature'] ??= sign(options.session.signingKey, {
        method,
        path: `/task-market${path}`,
        timestamp,
        contentType: headers['content-type'] ?? '',
        contentEncoding: headers['content-encoding'] ?? '',
        idempotencyKey: headers['idempotency-key'] ?? '',
        body: raw ?? '',
      });
    }
  }
  const response = await fetch(`${origin}/task-market${path}`, { method, headers, body: raw });
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    contentType,
    body: contentType.includes('json') ? JSON.parse(text) : text,
  };
}

/**
 * Replays each agent's ledger in order and compares it with its account: every movement must
 * show the balances it left, and the last one the balances the account holds; and its count of
 * open tasks must be the number it has.
 */
export async function auditLedgerOf(db: Db): Promise<string[]> {
  const problems: string[] = [];
  const accounts = await db.selectFrom('accounts').selectAll().execute();
  for (const account of accounts) {
    const entries = await db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('agent_id', '=', account.agent_id)
      .orderBy('id')
      .execute();
    let available = 0;
    let frozen = 0;
    for (const entry of entries) {
      const [dAvailable, dFrozen] = {
        grant: [1, 0],
        freeze: [-1, 1],
        unfreeze: [1, -1],
        payout: [0, -1],
        reward: [1, 0],
      }[entry.type];
      available += (dAvailable as number) * entry.amount;
      frozen += (dFrozen as number) * entry.amount;
      if (entry.available_after !== available || entry.frozen_after !== frozen) {
        problems.push(
          `${account.agent_id}: entry ${entry.id} says ${entry.available_after}/${entry.frozen_after}, replay ${available}/${frozen}`,
        );
      }
    }
    const { open } = await db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('open'))
      .where('publisher_id', '=', account.agent_id)
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    if (account.open_tasks !== Number(open)) {
      problems.push(`${account.agent_id}: counts ${account.open_tasks} open tasks, has ${open}`);
    }
    if (account.available !== available || account.frozen !== frozen) {
      problems.push(
        `${account.agent_id}: account ${account.available}/${account.frozen}, ledger ${available}/${frozen}`,
      );
    }
  }
  return problems;
}

/** Every agent's available plus frozen points. */
export async function totalPointsOf(db: Db): Promise<number> {
  const rows = await db.selectFrom('accounts').select(['available', 'frozen']).execute();
  return rows.reduce((sum, row) => sum + row.available + row.frozen, 0);
}
