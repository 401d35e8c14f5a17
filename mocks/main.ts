#!/usr/bin/env node
// npm run mock, and the bin of the mock package: the bundled documents of generated/ mocked on
// one port under /<service>. Everything is found from this file's own location, never the
// working directory, and the package keeps the repository's layout (mocks/main.js beside
// generated/, openapi/ and dist/docs/), so the same code runs in both.
import cluster from 'node:cluster';
import { existsSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BuiltService } from '../src/build/services.ts';
import { createMockServer } from './server.ts';

const usage = `Usage: api-contracts-mock [--port 4010] [--host 127.0.0.1] [--service <name>]…
  --port       port to listen on (MOCK_PORT, else 4010; 0 picks a free one)
  --host       address to listen on (HOST, else 127.0.0.1; 0.0.0.0 serves the network)
  --service    mock only this service; repeat for several (default: every one)
  --log-level  the mock's log level (MOCK_LOG_LEVEL, else silent)
  --workers    processes sharing the port (MOCK_WORKERS, else one per CPU, at most 4)
`;

const root = fileURLToPath(new URL('..', import.meta.url));

/** The services with a bundled document in generated/, with their catalogs. */
function generatedServices(): BuiltService[] {
  const generated = join(root, 'generated');
  return readdirSync(generated, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map(({ name }) => ({
      service: name,
      document: join(generated, name, 'openapi.yaml'),
      catalog: join(root, 'openapi', name, 'errors.yaml'),
    }))
    .filter((built) => existsSync(built.document))
    .sort((a, b) => a.service.localeCompare(b.service));
}

/** Stops with a message and the usage, for a command line the mock cannot run. */
function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}`);
  process.exit(2);
}

function options() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: process.env.MOCK_PORT ?? '4010' },
        host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
        service: { type: 'string', multiple: true },
        'log-level': { type: 'string', default: process.env.MOCK_LOG_LEVEL ?? 'silent' },
        workers: {
          type: 'string',
          default: process.env.MOCK_WORKERS ?? String(Math.min(availableParallelism(), 4)),
        },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
}

const values = options();
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`--port must be a port number, not ${values.port}`);
}
const available = generatedServices();
const unknown = (values.service ?? []).filter((name) => !available.some((s) => s.service === name));
if (unknown.length > 0) {
  fail(
    `no document for ${unknown.join(', ')}; known: ${available.map((s) => s.service).join(', ')}`,
  );
}
const services = values.service
  ? available.filter(({ service }) => values.service?.includes(service))
  : available;

const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) {
  fail(`--workers must be a whole number of at least 1, not ${values.workers}`);
}
const where = (address: { port: number }) => {
  const hostname = values.host.includes(':') ? `[${values.host}]` : values.host;
  // The port actually bound, so `--port 0` tells its caller where it is.
  return (
    `mock on http://${hostname}:${address.port}: ${services.map(({ service }) => `/${service}`).join(', ')}\n` +
    '  ask for any documented answer with the header Prefer: example=<CODE>\n'
  );
};
if (cluster.isPrimary && workers > 1) {
  superviseWorkers(workers);
} else {
  await serve();
}

/**
 * Forks the workers, which share one listening port (one port the system picks for all of them
 * with --port 0), and says where they listen once the first does. A worker that dies takes the
 * mock down with it: a frontend's tests should fail loudly, not against fewer workers.
 */
function superviseWorkers(count: number) {
  for (let index = 0; index < count; index += 1) {
    cluster.fork();
  }
  let announced = false;
  let stopping = false;
  cluster.on('listening', (_worker, address) => {
    if (!announced) {
      announced = true;
      process.stdout.write(where(address));
    }
  });
  cluster.on('exit', (_worker, code) => {
    if (!stopping) {
      process.exitCode = code || 1;
      stopAll();
    }
  });
  const stopAll = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) {
      worker?.kill('SIGTERM');
    }
  };
  process.once('SIGTERM', stopAll);
  process.once('SIGINT', stopAll);
}

/** One process serving the mock: the only one, or a worker of the cluster. */
async function serve() {
  const server = await createMockServer(services, values['log-level'], join(root, 'dist', 'docs'));
  server.once('error', (error) => {
    process.stderr.write(`mock: cannot listen on ${values.host}:${port}: ${error.message}\n`);
    process.exit(1);
  });
  server.listen(port, values.host, () => {
    if (cluster.isPrimary) {
      process.stdout.write(where(server.address() as AddressInfo));
    }
  });
  const stop = () => {
    server.close(() => process.exit(0));
    // Keep-alive connections would hold the close open; a mock has nothing to finish.
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
