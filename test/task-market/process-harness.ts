import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { systemClock } from '../../src/platform/clock.ts';
import type { Db } from '../../src/task-market/database.ts';
import { openTaskMarketDatabase } from '../../src/task-market/migrations.ts';
import { startOpenClawStandIn } from '../../src/task-market/openclaw-standin.ts';
import { createOperators } from '../../src/task-market/operators.ts';
import type { TestDatabase } from '../support/database.ts';
import { freshDatabase } from '../support/postgres-database.ts';
import {
  auditLedgerOf,
  type Reply,
  type RequestOptions,
  type Session,
  sendRequest,
  type TestAgent,
  totalPointsOf,
} from './harness.ts';

/** A task-market instance running as a process of its own (test/task-market/server-process.ts). */
export interface MarketProcess {
  /** `http://127.0.0.1:<port>`; the market answers under `/task-market`. */
  origin: string;
  pid: number;
  /** Whether the process has exited, by itself or killed. */
  readonly exited: boolean;
  /** The signal that ended it (`SIGKILL` after `kill()`), if one did. */
  readonly signal: NodeJS.Signals | null;
  /** What it printed (its logs, `warn` and worse), for a failing test's message. */
  output(): string;
  /** Sends SIGKILL and resolves once the process is gone: nothing of it runs after. */
  kill(): Promise<void>;
  /** Asks it to stop (SIGTERM), and kills it if it has not within five seconds. */
  stop(): Promise<void>;
}

/** Every process started and not yet known to be gone, killed however a test file ends. */
const running = new Set<ChildProcessByStdio<Writable, Readable, Readable>>();
// A worker that exits without its afterAll (a crash, a timeout) still takes its servers with it;
// and each server also stops when its stdin closes, should this worker be killed outright.
process.once('exit', () => {
  for (const child of running) {
    child.kill('SIGKILL');
  }
});

/**
 * Starts one task-market process with `env` added to this one's, and resolves once it listens
 * (it prints its origin); fails, with what it printed, if it exits or takes over 30 s.
 */
export async function startMarketProcess(env: Record<string, string>): Promise<MarketProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/task-market/server-process.ts'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let printed = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    printed += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    printed += chunk;
  });
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
    }
    await gone;
  };

  const listening = await new Promise<{ origin: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not listen within 30 s'), 30_000);
    function fail(why: string) {
      clearTimeout(timer);
      child.stdout.off('data', look);
      void stop('SIGKILL').then(() =>
        reject(new Error(`task-market process ${why}; it printed:\n${printed}`)),
      );
    }
    // Its logs share stdout: the origin is the first line that is a JSON object with one.
    function look() {
      for (const line of printed.split('\n')) {
        try {
          const parsed = JSON.parse(line);
          if (typeof parsed?.origin === 'string') {
            clearTimeout(timer);
            child.stdout.off('data', look);
            child.off('close', exited);
            resolve(parsed);
            return;
          }
        } catch {
          // A log line cut in two, or not JSON: not the one.
        }
      }
    }
    // On `close`, not `exit`: by then all it printed, its error included, has been read.
    const exited = () => fail(`exited (${child.exitCode ?? child.signalCode})`);
    child.stdout.on('data', look);
    child.once('close', exited);
  });

  return {
    ...listening,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    get signal() {
      return child.signalCode;
    },
    output: () => printed,
    kill: () => stop('SIGKILL'),
    async stop() {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await stop('SIGTERM');
      clearTimeout(timer);
    },
  };
}

/** What a test does through one instance: requests signed at the system's time. */
export function clientOf(origin: string) {
  const request = (method: string, path: string, options: RequestOptions = {}): Promise<Reply> =>
    sendRequest(origin, systemClock, method, path, options);
  return {
    origin,
    request,
    async signIn(agent: TestAgent): Promise<Session> {
      const reply = await request('POST', '/auth/token', {
        body: { agent_id: agent.id, secret: agent.secret },
      });
      if (reply.status !== 200) {
        throw new Error(`sign-in of ${agent.name} on ${origin} failed: ${JSON.stringify(reply)}`);
      }
      return {
        agent,
        token: reply.body.data.access_token,
        signingKey: reply.body.data.signing_key,
      };
    },
    /** A task due in a day, with `task` over the defaults; the answer, whatever it is. */
    publish: (session: Session, task: Record<string, unknown> = {}) =>
      request('POST', '/tasks', {
        session,
        body: {
          title: 'Summarise three papers',
          bounty: 50,
          deadline: new Date(Date.now() + 86_400_000).toISOString(),
          ...task,
        },
      }),
    /** One action on a task (`claim`, `submit`, `accept`…); the answer, whatever it is. */
    act: (session: Session, taskId: string, action: string, body?: unknown) =>
      request('POST', `/tasks/${taskId}/${action}`, { session, body }),
  };
}

export type MarketClient = ReturnType<typeof clientOf>;

/** An instance's process and its client. */
export type MarketInstance = MarketProcess & MarketClient;

export interface ProcessMarketOptions {
  database: TestDatabase;
  /** How many agents to provision, each with `points` (1000 unless told). */
  agents: number;
  points?: number;
  /** Settings every instance gets besides the database's and OpenClaw's. */
  env?: Record<string, string>;
}

/**
 * A database for task-market processes (a SQLite file in a temporary directory, or a fresh
 * PostgreSQL database), an OpenClaw stand-in in this process that knows `agents` and that every
 * instance asks, and the processes started on them, each with its client.
 */
export async function processMarket(options: ProcessMarketOptions) {
  const agents: TestAgent[] = Array.from({ length: options.agents }, (_, index) => ({
    id: randomUUID(),
    name: `agent-${index}`,
    secret: `secret-${randomUUID()}`,
  }));
  const standIn = await startOpenClawStandIn(new Map(agents.map((a) => [a.id, a.secret])));
  const directory = mkdtempSync(join(tmpdir(), 'task-market-processes-'));
  const postgres = options.database === 'postgres' ? await freshDatabase() : undefined;
  const location = postgres?.url ?? join(directory, 'task-market.sqlite');
  const env: Record<string, string> = {
    // A database a developer set for `npm start` must not leak in: the location is this one.
    DATABASE_URL: postgres?.url ?? '',
    TASK_MARKET_DATABASE: postgres ? '' : location,
    DATA_DIR: directory,
    TASK_MARKET_BRIEFS_DIR: join(directory, 'briefs'),
    OPENCLAW_URL: standIn.url,
    // Every request comes from 127.0.0.1: the per-address limit is not what these tests test.
    TASK_MARKET_CLIENT_RATE_LIMIT: '1000000',
    ...options.env,
  };
  const instances: MarketInstance[] = [];
  let db: Db | undefined;

  /** The test's own connection to the database, opened once an instance has migrated it. */
  const database = async () => {
    db ??= await openTaskMarketDatabase(location);
    return db;
  };

  return {
    agents,
    location,
    instances,
    /** Starts `count` instances at once on the database; they migrate it together if new. */
    async start(count = 1): Promise<MarketInstance[]> {
      const started = await Promise.all(
        Array.from({ length: count }, () => startMarketProcess(env)),
      );
      // Assigned, not spread: `exited` and `signal` are getters, read when asked.
      const clients = started.map((instance) => Object.assign(instance, clientOf(instance.origin)));
      instances.push(...clients);
      return clients;
    },
    /** Provisions every agent with its points, as an operator does, outside any instance. */
    async provision() {
      const operators = createOperators(await database(), systemClock);
      for (const agent of agents) {
        await operators.provisionAgent({ ...agent, points: options.points ?? 1000 });
      }
    },
    database,
    totalPoints: async () => totalPointsOf(await database()),
    /** The problems auditLedgerOf and auditTasksOf find. */
    audit: async () => {
      const db = await database();
      return [...(await auditLedgerOf(db)), ...(await auditTasksOf(db))];
    },
    /** What every instance printed, for a failing test's message. */
    output: () =>
      instances.map((instance) => `--- ${instance.origin}\n${instance.output()}`).join('\n'),
    /** Kills every instance still running, closes the test's connection, drops the database. */
    async close() {
      await Promise.all(instances.map((instance) => instance.kill()));
      await db?.destroy();
      await standIn.close().catch(() => undefined);
      await postgres?.drop();
    },
  };
}

export type ProcessMarket = Awaited<ReturnType<typeof processMarket>>;

/**
 * What the ledger must show of every task, whatever happened to the processes: exactly one
 * freeze of its bounty by its publisher; a payout and a reward of it once accepted, an unfreeze
 * once cancelled or expired, nothing more while it runs; no entry for a task that does not
 * exist; and frozen points that are exactly the bounties of the tasks still running.
 */
export async function auditTasksOf(db: Db): Promise<string[]> {
  const problems: string[] = [];
  const tasks = await db.selectFrom('tasks').selectAll().execute();
  const entries = await db
    .selectFrom('ledger_entries')
    .select(['agent_id', 'type', 'amount', 'task_id'])
    .where('task_id', 'is not', null)
    .execute();
  const byTask = new Map<string, typeof entries>();
  for (const entry of entries) {
    const taskId = entry.task_id as string;
    byTask.set(taskId, [...(byTask.get(taskId) ?? []), entry]);
  }
  for (const task of tasks) {
    const expected = [{ type: 'freeze', agent_id: task.publisher_id }];
    if (task.status === 'accepted') {
      expected.push({ type: 'payout', agent_id: task.publisher_id });
      expected.push({ type: 'reward', agent_id: task.executor_id as string });
    } else if (task.status === 'cancelled' || task.status === 'expired') {
      expected.push({ type: 'unfreeze', agent_id: task.publisher_id });
    }
    const byType = (a: { type: string }, b: { type: string }) => a.type.localeCompare(b.type);
    const found = (byTask.get(task.id) ?? [])
      .map(({ type, agent_id, amount }) => ({ type, agent_id, amount }))
      .sort(byType);
    const want = expected.map((entry) => ({ ...entry, amount: task.bounty })).sort(byType);
    if (JSON.stringify(found) !== JSON.stringify(want)) {
      problems.push(
        `task ${task.id} (${task.status}): ledger ${JSON.stringify(found)}, expected ${JSON.stringify(want)}`,
      );
    }
    byTask.delete(task.id);
  }
  for (const [taskId, orphans] of byTask) {
    problems.push(`ledger entries of a task that does not exist, ${taskId}: ${orphans.length}`);
  }
  const running = tasks
    .filter((task) => ['open', 'claimed', 'submitted'].includes(task.status))
    .reduce((sum, task) => sum + task.bounty, 0);
  const accounts = await db.selectFrom('accounts').select('frozen').execute();
  const frozen = accounts.reduce((sum, account) => sum + account.frozen, 0);
  if (frozen !== running) {
    problems.push(`${frozen} points frozen, ${running} in running tasks`);
  }
  return problems;
}
