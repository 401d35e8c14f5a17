import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** A database of its own for a test, in the run's cluster (test/support/postgres.ts). */
export interface FreshDatabase {
  /** `postgres://postgres@127.0.0.1:<port>/t_<random>`, for the superuser `postgres`. */
  url: string;
  /** Drops the database, ending every connection still open to it; does nothing the second time. */
  drop(): Promise<void>;
}

/** The admin URL of the run's cluster; throws, saying why, where the run has none. */
export function requirePostgres(): string {
  const url = inject('postgresUrl');
  if (!url) {
    throw new Error(`\n\n!! No PostgreSQL for this test: ${inject('postgresProblem')}\n`);
  }
  return url;
}

/** Creates a new, empty, uniquely named database, so tests running at once share nothing. */
export async function freshDatabase(): Promise<FreshDatabase> {
  const admin = requirePostgres();
  const name = `t_${randomBytes(8).toString('hex')}`;
  await asAdmin(admin, `CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    // FORCE terminates the database's connections (pg_terminate_backend) in the same statement,
    // so a pool still reconnecting cannot slip in between.
    drop: () => asAdmin(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Runs one statement on a connection of its own, closed after: no pool outlives the test. */
async function asAdmin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
