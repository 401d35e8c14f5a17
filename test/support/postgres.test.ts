import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type FreshDatabase, freshDatabase, requirePostgres } from './postgres-database.ts';

const open: FreshDatabase[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((database) => database.drop()));
});

/** A fresh database, dropped after the test. */
async function database(): Promise<FreshDatabase> {
  const fresh = await freshDatabase();
  open.push(fresh);
  return fresh;
}

/** Runs one query on a connection of its own. */
async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The names of the databases the cluster has. */
async function databases(): Promise<string[]> {
  const { rows } = await query(requirePostgres(), 'select datname from pg_database');
  return rows.map((row) => row.datname);
}

describe('the run’s PostgreSQL (test/support/postgres.ts)', () => {
  it('answers on the admin URL', async () => {
    const { rows } = await query(requirePostgres(), 'select version()');
    expect(rows[0].version).toMatch(/^PostgreSQL \d+/);
    expect(process.env.POSTGRES_TEST_URL).toBe(requirePostgres());
  });

  it('creates a fresh database, and drops it with a connection still open', async () => {
    const fresh = await database();
    const name = new URL(fresh.url).pathname.slice(1);
    expect(name).toMatch(/^t_[0-9a-f]{16}$/);
    expect(await databases()).toContain(name);
    const client = new pg.Client({ connectionString: fresh.url });
    client.on('error', () => undefined); // the drop ends this connection from the server's side
    await client.connect();
    await fresh.drop();
    expect(await databases()).not.toContain(name);
    await fresh.drop();
    await client.end().catch(() => undefined);
  });

  it('gives two fresh databases that share nothing', async () => {
    const [first, second] = await Promise.all([database(), database()]);
    expect(first.url).not.toBe(second.url);
    await query(
      first.url,
      "create table tasks (id text primary key); insert into tasks values ('a')",
    );
    const tables = "select count(*)::int as n from pg_tables where tablename = 'tasks'";
    expect((await query(first.url, tables)).rows[0].n).toBe(1);
    expect((await query(second.url, tables)).rows[0].n).toBe(0);
  });
});
