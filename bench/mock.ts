// npm run bench:mock — our mock against plain `prism mock` (default settings) on the same
// document and request, each in its own process, loaded in turn round after round; medians.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import autocannon from 'autocannon';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = 16;
const taskPath = '/tasks/660e8400-e29b-41d4-a716-446655440002';
const authorization = 'Bearer mock-credentials';

async function freePort(): Promise<number> {
  const server = createServer().listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a server process and waits until it answers on `url`. */
async function start(command: string, args: string[], env: Record<string, string>, url: string) {
  const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, ...env } });
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const answer = await fetch(url, { headers: { authorization } }).catch(() => undefined);
    if (answer) {
      return child;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error(`${command} ${args.join(' ')} did not start`);
}

const ourPort = await freePort();
const onePort = await freePort();
const prismPort = await freePort();
const url = (port: number, prefix = '') => `http://127.0.0.1:${port}${prefix}${taskPath}`;
const mock = (port: number, workers?: string) =>
  start(
    process.execPath,
    ['--import', 'tsx', 'mocks/main.ts', '--port', String(port)],
    workers === undefined ? {} : { MOCK_WORKERS: workers },
    url(port, '/task-market'),
  );
const children: ChildProcess[] = [
  // As the mock's bin starts by default: a worker per CPU (at most 4).
  await mock(ourPort),
  await mock(onePort, '1'),
  await start(
    'node_modules/.bin/prism',
    ['mock', 'generated/task-market/openapi.yaml', '--port', String(prismPort)],
    {},
    url(prismPort),
  ),
];

const prefer = 'example=TASK_NOT_FOUND';
const cases = [
  { name: 'our mock', url: url(ourPort, '/task-market'), prefer },
  { name: 'our mock, one worker', url: url(onePort, '/task-market'), prefer },
  // Plain Prism needs the status as well as the example.
  { name: 'plain prism mock', url: url(prismPort), prefer: `code=404, ${prefer}` },
];
const samples = new Map<string, { rps: number; p99: number; failed: number }[]>();
for (const { url, prefer } of cases) {
  await autocannon({ url, connections, duration: 2, headers: { authorization, prefer } });
}
for (let round = 0; round < rounds; round += 1) {
  for (const { name, url, prefer } of cases) {
    const result = await autocannon({
      url,
      connections,
      duration: seconds,
      headers: { authorization, prefer },
    });
    const failed =
      result.errors + result.requests.total - (result.statusCodeStats?.['404']?.count ?? 0);
    samples.set(name, [
      ...(samples.get(name) ?? []),
      { rps: result.requests.average, p99: result.latency.p99, failed },
    ]);
  }
}
for (const child of children) {
  child.kill('SIGTERM');
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const plain = median((samples.get('plain prism mock') ?? []).map((run) => run.rps));
console.log(
  `\nGET ${taskPath} answering TASK_NOT_FOUND (404); ${connections} connections; ` +
    `${rounds} rounds of ${seconds} s, medians\n`,
);
console.log(`${'server'.padEnd(26)}${'req/s'.padStart(8)}${'p99 ms'.padStart(8)}  × plain Prism`);
for (const { name } of cases) {
  const runs = samples.get(name) ?? [];
  const rps = median(runs.map((run) => run.rps));
  const failed = runs.reduce((sum, run) => sum + run.failed, 0);
  console.log(
    `${name.padEnd(26)}${rps.toFixed(0).padStart(8)}${String(median(runs.map((run) => run.p99))).padStart(8)}` +
      `  ${(rps / plain).toFixed(2)}${failed > 0 ? `  (${failed} requests did not answer 404)` : ''}`,
  );
}
