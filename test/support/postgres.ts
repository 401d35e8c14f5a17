import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The admin URL of the run's cluster; empty when there is none, and `postgresProblem` says why. */
    postgresUrl: string;
    postgresProblem: string;
  }
}

// PostgreSQL refuses to run as root: as root, its tools run as the `postgres` system user.
const asRoot = process.getuid?.() === 0;

/**
 * Vitest global setup: starts one throwaway PostgreSQL cluster for the whole run, in a fresh
 * temporary directory, removed with its server when the run ends. Tests reach it through
 * test/support/postgres-database.ts; child processes through POSTGRES_TEST_URL. Where there is no
 * PostgreSQL, the run goes on and only the tests that need it fail, with the reason.
 */
export default async function setup(project: TestProject) {
  const bin = serverBin();
  if (!bin) {
    return unavailable(
      project,
      'no PostgreSQL server binaries (initdb, pg_ctl, postgres) in PG_BIN or /usr/lib/postgresql/*/bin.' +
        ' Run `sh scripts/install-postgresql.sh` as root (npm test does), or set PG_BIN.',
    );
  }
  const root = mkdtempSync(join(tmpdir(), 'postgres-'));
  const stop = () => stopCluster(bin, root);
  // Vitest skips the teardown on Ctrl-C or SIGTERM but exits through process.exit, so this still
  // stops the server (pg_ctl starts it in a session of its own, out of reach of the terminal).
  process.once('exit', stop);
  try {
    const url = await startCluster(bin, root);
    project.provide('postgresUrl', url);
    project.provide('postgresProblem', '');
    process.env.POSTGRES_TEST_URL = url;
    return () => {
      process.off('exit', stop);
      stop();
    };
  } catch (error) {
    const problem = `PostgreSQL from ${bin} did not start: ${(error as Error).message}${logOf(root)}`;
    process.off('exit', stop);
    stop();
    return unavailable(project, problem);
  }
}

/** The directory of the newest Debian PostgreSQL server, or PG_BIN when it is set. */
function serverBin(): string | undefined {
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
async function startCluster(bin: string, root: string): Promise<string> {
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
  // fsync and its kin are off for speed alone: the crash tests kill the service's process, never
  // the database server or the machine, so nothing relies on what reaches the disk.
  const options = [
    `-p ${port} -k '${root}' -c listen_addresses=127.0.0.1`,
    '-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200',
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

/** Tells the tests there is no PostgreSQL, and why; says so on stderr too. */
function unavailable(project: TestProject, problem: string): undefined {
  project.provide('postgresUrl', '');
  project.provide('postgresProblem', problem);
  process.stderr.write(`\n!! The PostgreSQL tests will fail: ${problem}\n\n`);
  return undefined;
}
