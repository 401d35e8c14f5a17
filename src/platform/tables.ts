import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The tables the platform keeps in every service's database, next to the service's own, so that
 * what instances must agree on (a request seen, a key used) is shared through the database.
 */
export interface PlatformTables {
  /** Requests that may be seen once (a signature), each until its window closes. */
  platform_seen_requests: { key: string; expires_at: string };
  /** Writes sent with an Idempotency-Key: the first one's fingerprint and, once done, its answer. */
  platform_idempotency: {
    scope: string;
    key: string;
    fingerprint: string;
    /** Null while the first request is still running. */
    status: number | null;
    body: string | null;
    expires_at: string;
  };
  /** The count of each limited key (`rate:agent:…`) in its current window, which ends at `ends_at`. */
  platform_limit_windows: { key: string; ends_at: string; hits: number };
}

/**
 * The platform's schema changes, applied with each service's own; the two interleave by name over
 * time, so the migrator allows unordered migrations (src/platform/db.ts).
 */
export const platformMigrations: Record<string, Migration> = {
  platform_001_seen_requests: {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('platform_seen_requests')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('platform_seen_requests_by_expiry')
        .on('platform_seen_requests')
        .column('expires_at')
        .execute();
    },
  },
  platform_002_idempotency: {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('platform_idempotency')
        .addColumn('scope', 'text', (column) => column.notNull())
        .addColumn('key', 'text', (column) => column.notNull())
        .addColumn('fingerprint', 'text', (column) => column.notNull())
        .addColumn('status', 'integer')
        .addColumn('body', 'text')
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('platform_idempotency_key', ['scope', 'key'])
        .execute();
      await sql`create index platform_idempotency_by_expiry on platform_idempotency (expires_at)`.execute(
        db,
      );
    },
  },
  platform_003_limit_windows: {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('platform_limit_windows')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('ends_at', 'text', (column) => column.notNull())
        .addColumn('hits', 'integer', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('platform_limit_windows_by_end')
        .on('platform_limit_windows')
        .column('ends_at')
        .execute();
    },
  },
};
