import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A throwaway PostgreSQL cluster, for the tests (test/support/postgres.ts) and the benchmark
// (bench/server.ts): Debian's server binaries, a fresh temporary directory, a free port.

// PostgreSQL refuses to run as root: as root, its tools run as the `postgres` system user.
const asRoot = process.getuid?.() === 0;

/** A running cluster: its admin URL, and how to stop it and remove its directory. */
export interface Cluster {
  url: string;
  stop(): void;
}

/**
 * Starts a cluster with `bin`'s server. `durable: false` (the tests) turns fsync off, for speed
 * alone: the crash tests kill the service's process, never the database server or the machine.
 * `durable: true` (the benchmark) keeps fsync, and commits as SQLite's WAL does here: without
 * waiting for the disk (a power cut may lose the last commits, never corrupt the database).
 */
export async function startPostgres(bin: string, { durable = false } = {}): Promise<Cluster> {
  const root = mkdtempSync(join(tmpdir(), 'postgres-'));
  const stop = () => stopCluster(bin, root);
  try {
    return { url: await startCluster(bin, root, durable), stop };
  } catch (error) {
    const problem = `PostgreSQL from ${bin} did not start: ${(error as Error).message}${logOf(root)}`;
    stop();
    throw new Error(problem);
  }
}

/** The directory of the newest Debian PostgreSQL server, or PG_BIN when it is set. */
export function serverBin(): string | undefined {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : versions
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => `/usr/lib/postgresql/${version}/bin`);
  return candidates.find((bin) =>
    ['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(join(bin, name))),
  );
}

/** Makes a cluster in `root/data` and starts it on a free port; returns its admin URL. */
async function startCluster(bin: string, root: string, durable: boolean): Promise<string> {
  if (asRoot) {
    ensurePostgresUser();
    execFileSync('chown', ['postgres:', root]);
  }
  const data = join(root, 'data');
  tool(bin, root, 'initdb', [
    ...['-D', data, '-A', 'trust', '-U', 'postgres'],
    ...['--no-sync', '--encoding=UTF8', '--locale=C'],
  ]);
  const port = await freePort();
  const options = [
    `-p ${port} -k '${root}' -c listen_addresses=127.0.0.1 -c max_connections=200`,
    durable
      ? '-c synchronous_commit=off'
      : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
  ].join(' ');
  tool(bin, root, 'pg_ctl', ['start', '-w', '-D', data, '-l', join(root, 'log'), '-o', options]);
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Stops the server at once, if it runs, and removes the cluster's directory. */
function stopCluster(bin: string, root: string): void {
  try {
    tool(bin, root, 'pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', join(root, 'data')]);
  } catch {
    // Nothing to stop: the server never started.
  }
  rmSync(root, { recursive: true, force: true });
}

/** The end of the server's log, which says why it did not start; pg_ctl only says to read it. */
function logOf(root: string): string {
  const log = join(root, 'log');
  return existsSync(log)
    ? `\n${readFileSync(log, 'utf8').trim().split('\n').slice(-10).join('\n')}`
    : '';
}

/** Runs a PostgreSQL tool from `root` (as `postgres` under root), failing with its output. */
function tool(bin: string, root: string, name: string, args: string[]): void {
  const [command, commandArgs] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(bin, name), ...args]]
    : [join(bin, name), args];
  try {
    execFileSync(command, commandArgs, { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${name} failed: ${(stderr || stdout || String(error)).trim()}`);
  }
}

/** Creates the `postgres` system user where the Debian package has not. */
function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
  }
}

/** A port nothing listens on now, from the system. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
