import { type Kysely, type Migration, sql } from 'kysely';
import { openMigratedDatabase } from '../platform/db.ts';
import type { Db, DivinationDatabase } from './database.ts';

/** Schema changes in order; never edit one that has shipped, add the next. */
const migrations: Record<string, Migration> = {
  '001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (column) => column.primaryKey())
        .addColumn('value', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('phone', 'text', (column) => column.notNull())
        .addColumn('nickname', 'text', (column) => column.notNull())
        .addColumn('locale', 'text', (column) => column.notNull())
        .addColumn('birth_date', 'text')
        .addColumn('gender', 'text')
        .addColumn('bio', 'text', (column) => column.notNull())
        .addColumn('avatar_path', 'text')
        .addColumn('balance', 'integer', (column) => column.notNull().check(sql`balance >= 0`))
        .addColumn('invite_code', 'text', (column) => column.notNull().unique())
        .addColumn('invited_by', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addColumn('deleted_at', 'text')
        .execute();
      // One account per phone at a time: a deleted one frees it.
      await db.schema
        .createIndex('users_one_per_phone')
        .on('users')
        .column('phone')
        .unique()
        .where(sql<boolean>`deleted_at is null`)
        .execute();
      await db.schema
        .createTable('points_ledger')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull().references('users.id'))
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('amount', 'integer', (column) => column.notNull())
        .addColumn('run_id', 'text')
        .addColumn('balance_after', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('points_ledger_by_user')
        .on('points_ledger')
        .columns(['user_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('otp_requests')
        .addColumn('phone', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text')
        .addColumn('sent_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('refresh_tokens')
        .addColumn('token_hash', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull().references('users.id'))
        .addColumn('family_id', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .addColumn('used_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('refresh_tokens_by_family')
        .on('refresh_tokens')
        .column('family_id')
        .execute();
      await db.schema
        .createTable('agent_sessions')
        .addColumn('thread_id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull().references('users.id'))
        .addColumn('title', 'text', (column) => column.notNull())
        .addColumn('method', 'text', (column) => column.notNull())
        .addColumn('user_message_count', 'integer', (column) =>
          column.notNull().check(sql`user_message_count between 0 and 2`),
        )
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('agent_sessions_by_user')
        .on('agent_sessions')
        .columns(['user_id', 'updated_at'])
        .execute();
      await db.schema
        .createTable('agent_messages')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('thread_id', 'text', (column) => column.notNull())
        .addColumn('position', 'integer', (column) => column.notNull())
        .addColumn('role', 'text', (column) => column.notNull())
        .addColumn('content', 'text', (column) => column.notNull())
        .addColumn('tool_call_id', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addUniqueConstraint('agent_messages_in_order', ['thread_id', 'position'])
        .execute();
      await db.schema
        .createTable('agent_runs')
        .addColumn('run_id', 'text', (column) => column.primaryKey())
        .addColumn('thread_id', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('position', 'integer', (column) => column.notNull())
        .addColumn('lease_expires_at', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('ended_at', 'text')
        .execute();
      // The runs whose instance may have died: the sweep looks among these.
      await db.schema
        .createIndex('agent_runs_by_status_lease')
        .on('agent_runs')
        .columns(['status', 'lease_expires_at'])
        .execute();
      await db.schema
        .createTable('stream_leases')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('expires_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('stream_leases_by_user')
        .on('stream_leases')
        .columns(['user_id', 'expires_at'])
        .execute();
      await db.schema
        .createIndex('agent_runs_by_thread')
        .on('agent_runs')
        .column('thread_id')
        .execute();
      await db.schema
        .createTable('run_events')
        .addColumn('run_id', 'text', (column) => column.notNull())
        .addColumn('seq', 'integer', (column) => column.notNull())
        .addColumn('data', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('run_events_pk', ['run_id', 'seq'])
        .execute();
      await db.schema
        .createTable('tool_calls')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('run_id', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('tool', 'text', (column) => column.notNull())
        .addColumn('arguments', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('requested_at', 'text', (column) => column.notNull())
        .addColumn('decided_at', 'text')
        .execute();
      await db.schema
        .createTable('attachments')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('bucket', 'text', (column) => column.notNull())
        .addColumn('path', 'text', (column) => column.notNull().unique())
        .addColumn('content_type', 'text', (column) => column.notNull())
        .addColumn('size', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('title', 'text', (column) => column.notNull())
        .addColumn('body', 'text', (column) => column.notNull())
        .addColumn('read', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('notifications_by_user')
        .on('notifications')
        .columns(['user_id', 'created_at'])
        .execute();
    },
  },
};

/**
 * divination's database (a PostgreSQL URL, its schema `divination`; a SQLite file or `:memory:`)
 * brought to the latest schema.
 */
export function openDivinationDatabase(location: string): Promise<Db> {
  return openMigratedDatabase<DivinationDatabase>(location, migrations, 'divination');
}
