// npm run bench:server — the task market's full stack, on SQLite and on PostgreSQL, against bare
// Express, in one run. The PostgreSQL is a throwaway cluster the benchmark starts (Debian's, as
// the tests use it, with fsync on). The servers run at once, each in its own process; autocannon loads them in turn, round
// after round, so that a noisy machine slows all of them alike. Each figure is a median over the
// rounds; so is each ratio, of that round's req/s ÷ bare Express's, measured seconds apart.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { serverBin, startPostgres } from '../test/support/postgres-cluster.ts';
import { type BenchTarget, publishBody, signedPublish } from './signed-publish.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = 16;

/** The full task market on each database, Express with only the request validator, bare Express. */
const kinds = ['stack', 'stack-postgres', 'validator', 'bare'] as const;
type Kind = (typeof kinds)[number];
const labels: Record<Kind, string> = {
  stack: 'full stack, SQLite',
  'stack-postgres': 'full stack, PostgreSQL',
  validator: 'Express + validator',
  bare: 'bare Express',
};
const routes = ['GET /tasks/{taskId}', 'POST /tasks'] as const;
type Route = (typeof routes)[number];

async function start(kind: Kind): Promise<{ child: ChildProcess; target: BenchTarget }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server-target.ts', kind], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production', BENCH_DATABASE_URL: postgres.url },
  });
  const lines = createInterface({ input: child.stderr as NonNullable<typeof child.stderr> });
  for await (const line of lines) {
    if (line.startsWith('{')) {
      return { child, target: JSON.parse(line) };
    }
    process.stderr.write(`${kind}: ${line}\n`);
  }
  throw new Error(`${kind} server did not start`);
}

let published = 0;

/** The load of one route: a GET of one task, or publishes each signed anew with a new body. */
function options(target: BenchTarget, route: Route): autocannon.Options {
  const { origin, authorization, signingKey } = target;
  if (route === 'GET /tasks/{taskId}') {
    return { url: `${origin}/task-market/tasks/${target.taskId}`, headers: { authorization } };
  }
  return {
    url: origin,
    requests: [
      {
        method: 'POST',
        path: '/task-market/tasks',
        setupRequest: (request) => {
          published += 1;
          const body = publishBody(published);
          return { ...request, body, headers: signedPublish(authorization, signingKey, body) };
        },
      },
    ],
  };
}

const bin = serverBin();
if (!bin) {
  throw new Error(
    'no PostgreSQL server binaries: run sh scripts/install-postgresql.sh, or set PG_BIN',
  );
}
const postgres = await startPostgres(bin, { durable: true });
process.once('exit', postgres.stop);
const servers = new Map<Kind, Awaited<ReturnType<typeof start>>>();
for (const kind of kinds) {
  servers.set(kind, await start(kind));
}
const samples = new Map<string, { rps: number; p99: number; failed: number }[]>();
for (const route of routes) {
  for (const kind of kinds) {
    const target = servers.get(kind)?.target as BenchTarget;
    await autocannon({ ...options(target, route), connections, duration: 2 }); // warm-up
  }
  for (let round = 0; round < rounds; round += 1) {
    for (const kind of kinds) {
      const target = servers.get(kind)?.target as BenchTarget;
      const result = await autocannon({
        ...options(target, route),
        connections,
        duration: seconds,
      });
      const key = `${route} ${kind}`;
      samples.set(key, [
        ...(samples.get(key) ?? []),
        {
          rps: result.requests.average,
          p99: result.latency.p99,
          failed: result.non2xx + result.errors,
        },
      ]);
    }
  }
}
for (const { child } of servers.values()) {
  child.kill('SIGTERM');
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const summary = (route: Route, kind: Kind) => {
  const runs = samples.get(`${route} ${kind}`) ?? [];
  const bare = samples.get(`${route} bare`) ?? [];
  return {
    rps: median(runs.map((run) => run.rps)),
    p99: median(runs.map((run) => run.p99)),
    ratios: runs.map((run, round) => run.rps / (bare[round]?.rps ?? Number.NaN)),
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
  };
};

console.log(
  `\n${connections} connections; ${rounds} rounds of ${seconds} s per server and route, medians; ` +
    'servers in NODE_ENV=production\n',
);
console.log(
  `${'route'.padEnd(22)}${'server'.padEnd(24)}${'req/s'.padStart(8)}${'p99 ms'.padStart(8)}` +
    '  × bare (lowest–highest round)',
);
for (const route of routes) {
  for (const kind of kinds) {
    const { rps, p99, ratios, failed } = summary(route, kind);
    const spread =
      kind === 'bare'
        ? ''
        : ` (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
    console.log(
      `${(kind === 'stack' ? route : '').padEnd(22)}${labels[kind].padEnd(24)}` +
        `${rps.toFixed(0).padStart(8)}${String(p99).padStart(8)}  ${median(ratios).toFixed(2)}${spread}` +
        (failed > 0 ? `  (${failed} failed requests)` : ''),
    );
  }
}
