import { freshDatabase } from './postgres-database.ts';

/** The databases the servers' tests run on. */
export const testDatabases = ['sqlite', 'postgres'] as const;

export type TestDatabase = (typeof testDatabases)[number];

/** How a coverage line names a database: `task-market server on PostgreSQL: 234/234 pairs`. */
export const databaseLabel: Record<TestDatabase, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
};

/**
 * A database of its own for one server under test, and how to drop it: SQLite in memory, or a
 * fresh database in the run's PostgreSQL (test/support/postgres.ts).
 */
export async function databaseFor(
  kind: TestDatabase,
): Promise<{ location: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    return { location: ':memory:', drop: async () => {} };
  }
  const fresh = await freshDatabase();
  return { location: fresh.url, drop: fresh.drop };
}
