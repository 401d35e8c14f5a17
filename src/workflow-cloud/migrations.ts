import { type Kysely, type Migration, sql } from 'kysely';
import { openMigratedDatabase } from '../platform/db.ts';
import type { Db, WorkflowCloudDatabase } from './database.ts';

/** Schema changes in order; never edit one that has shipped, add the next. */
const migrations: Record<string, Migration> = {
  '001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull().unique())
        .addColumn('plan', 'text', (column) =>
          column.notNull().check(sql`plan in ('free', 'shared', 'exclusive', 'enterprise')`),
        )
        .addColumn('coins', 'integer', (column) => column.notNull().check(sql`coins >= 0`))
        .addColumn('money_cents', 'integer', (column) =>
          column.notNull().check(sql`money_cents >= 0`),
        )
        .addColumn('currency', 'text')
        .addColumn('concurrency', 'integer', (column) => column.notNull())
        .addColumn('instances', 'integer', (column) => column.notNull())
        .addColumn('exclusive_until', 'text')
        // The limits hold because every task's start and end moves these in its transaction.
        .addColumn('active_shared', 'integer', (column) =>
          column.notNull().defaultTo(0).check(sql`active_shared >= 0`),
        )
        .addColumn('active_exclusive', 'integer', (column) =>
          column.notNull().defaultTo(0).check(sql`active_exclusive >= 0`),
        )
        .addColumn('closed_at', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('key_hash', 'text', (column) => column.primaryKey())
        .addColumn('account_id', 'text', (column) => column.notNull().references('accounts.id'))
        .addColumn('expires_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('workflows')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('account_id', 'text', (column) => column.notNull().references('accounts.id'))
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('prompt', 'text', (column) => column.notNull())
        .addColumn('public', 'integer', (column) => column.notNull())
        .addColumn('cost', 'integer', (column) => column.notNull().check(sql`cost >= 0`))
        .addColumn('ran_at', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('webapps')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull().unique())
        .addColumn('prompt', 'text', (column) => column.notNull())
        .addColumn('cost', 'integer', (column) => column.notNull().check(sql`cost >= 0`))
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('uploads')
        .addColumn('file_name', 'text', (column) => column.primaryKey())
        .addColumn('account_id', 'text', (column) => column.notNull().references('accounts.id'))
        .addColumn('file_type', 'text', (column) => column.notNull())
        .addColumn('content_type', 'text', (column) => column.notNull())
        .addColumn('size', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('account_id', 'text', (column) => column.notNull().references('accounts.id'))
        .addColumn('workflow_id', 'text')
        .addColumn('webapp_id', 'text')
        .addColumn('prompt', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) =>
          column
            .notNull()
            .check(sql`status in ('QUEUED', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED')`),
        )
        .addColumn('instance', 'text', (column) =>
          column.notNull().check(sql`instance in ('shared', 'exclusive')`),
        )
        .addColumn('cost', 'integer', (column) => column.notNull())
        .addColumn('paid_with', 'text', (column) => column.notNull())
        .addColumn('client_id', 'text', (column) => column.notNull())
        .addColumn('prompt_id', 'text')
        .addColumn('prompt_tips', 'text', (column) => column.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_state', 'text')
        .addColumn('webhook_attempts', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('webhook_due_at', 'text')
        .addColumn('outputs', 'text')
        .addColumn('failure', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('started_at', 'text')
        .addColumn('ended_at', 'text')
        .addColumn('purged_at', 'text')
        .execute();
      // The monitor's work: unfinished tasks, webhooks due, ended tasks past their retention.
      await db.schema.createIndex('tasks_by_status').on('tasks').columns(['status']).execute();
      await db.schema
        .createIndex('tasks_by_webhook')
        .on('tasks')
        .columns(['webhook_state', 'webhook_due_at'])
        .execute();
      await db.schema
        .createIndex('tasks_by_end')
        .on('tasks')
        .columns(['purged_at', 'ended_at'])
        .execute();
    },
  },
};

/**
 * workflow-cloud's database (a PostgreSQL URL, its schema `workflow_cloud`; a SQLite file or
 * `:memory:`) brought to the latest schema.
 */
export function openWorkflowCloudDatabase(location: string): Promise<Db> {
  return openMigratedDatabase<WorkflowCloudDatabase>(location, migrations, 'workflow_cloud');
}
