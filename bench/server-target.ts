// A server for bench/server.ts, in its own process so the load generator does not share its CPU:
// `stack` is the task market (validator, auth, limits, logs) on a SQLite file, `stack-postgres`
// the same on the PostgreSQL of BENCH_DATABASE_URL; `bare` is Express answering the same routes
// with fixed JSON; `validator` is bare plus the request validator. Prints what the benchmark
// needs as one JSON line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { parse } from 'yaml';
import { systemClock } from '../src/platform/clock.ts';
import { Lifecycle } from '../src/platform/lifecycle.ts';
import { createLogger } from '../src/platform/logger.ts';
import { startModule } from '../src/platform/service-module.ts';
import { pathValidator } from '../src/platform/validator.ts';
import { demoAgents } from '../src/task-market/demo.ts';
import { taskMarket } from '../src/task-market/index.ts';
import { type BenchTarget, publishBody, signedPublish } from './signed-publish.ts';

const kind = process.argv[2];
/** Runs on SIGTERM or SIGINT, before the process exits. */
let cleanUp = async () => {};
const stop = () => {
  cleanUp().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
const body = publishBody(0);

if (kind === 'stack' || kind === 'stack-postgres') {
  const directory = mkdtempSync(join(tmpdir(), 'bench-'));
  const settings = taskMarket.settings({
    DATA_DIR: directory,
    DATABASE_URL: kind === 'stack-postgres' ? process.env.BENCH_DATABASE_URL : undefined,
  });
  const market = await startModule(
    taskMarket,
    {
      ...settings,
      rateLimit: { limit: 1e9, windowSeconds: 60 },
      clientRateLimit: { limit: 1e9, windowSeconds: 60 },
      dailyQuota: 1e9,
      maxOpenTasks: 1e9,
    },
    {
      clock: systemClock,
      logger: createLogger('info'),
      lifecycle: new Lifecycle(),
      validateResponses: process.env.VALIDATE_RESPONSES === 'true',
    },
  );
  cleanUp = async () => {
    await market.close();
    rmSync(directory, { recursive: true, force: true });
  };
  // Enough points to publish for the whole run.
  const [agent] = demoAgents;
  await market.operators.grant(agent.id, 1e9);
  const server = market.app.listen(0, '127.0.0.1', async () => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const signIn = await fetch(`${origin}/task-market/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent_id: agent.id, secret: agent.secret }),
    });
    const { access_token, signing_key } = (
      (await signIn.json()) as { data: { access_token: string; signing_key: string } }
    ).data;
    const authorization = `Bearer ${access_token}`;
    const published = await fetch(`${origin}/task-market/tasks`, {
      method: 'POST',
      headers: signedPublish(authorization, signing_key, body),
      body,
    });
    const task = ((await published.json()) as { data: { id: string } }).data;
    report({ origin, taskId: task.id, authorization, signingKey: signing_key });
  });
} else {
  // The answer the task market gives for a task: the document's example of getTask.
  const document = parse(readFileSync('generated/task-market/openapi.yaml', 'utf8'));
  const task =
    document.paths['/tasks/{taskId}'].get.responses['200'].content['application/json'].examples
      .submitted.value;
  // `validator` adds express-openapi-validator alone, as the task market mounts it.
  const validate = (path: string) =>
    kind === 'validator' ? pathValidator('generated/task-market/openapi.yaml', path, false) : [];
  const app = express();
  app.get('/task-market/tasks/:taskId', ...validate('/tasks/{taskId}'), (_request, response) => {
    response.json(task);
  });
  app.post('/task-market/tasks', express.json(), ...validate('/tasks'), (_request, response) => {
    response.status(201).json(task);
  });
  const server = app.listen(0, '127.0.0.1', () => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    report({ origin, taskId: task.data.id, authorization: 'Bearer bench', signingKey: 'bench' });
  });
}

/** What bench/server.ts needs to load a target: where it is, a task, and credentials. */
function report(target: BenchTarget) {
  process.stderr.write(`${JSON.stringify(target)}\n`);
}
