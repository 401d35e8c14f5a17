import type { TestProject } from 'vitest/node';
import { type Cluster, serverBin, startPostgres } from './postgres-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The admin URL of the run's cluster; empty when there is none, and `postgresProblem` says why. */
    postgresUrl: string;
    postgresProblem: string;
  }
}

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
  let cluster: Cluster;
  try {
    cluster = await startPostgres(bin);
  } catch (error) {
    return unavailable(project, (error as Error).message);
  }
  // Vitest skips the teardown on Ctrl-C or SIGTERM but exits through process.exit, so this still
  // stops the server (pg_ctl starts it in a session of its own, out of reach of the terminal).
  process.once('exit', cluster.stop);
  project.provide('postgresUrl', cluster.url);
  project.provide('postgresProblem', '');
  process.env.POSTGRES_TEST_URL = cluster.url;
  return () => {
    process.off('exit', cluster.stop);
    cluster.stop();
  };
}

/** Tells the tests there is no PostgreSQL, and why; says so on stderr too. */
function unavailable(project: TestProject, problem: string): undefined {
  project.provide('postgresUrl', '');
  project.provide('postgresProblem', problem);
  process.stderr.write(`\n!! The PostgreSQL tests will fail: ${problem}\n\n`);
  return undefined;
}
