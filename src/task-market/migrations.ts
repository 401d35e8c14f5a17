import { type Kysely, type Migration, sql } from 'kysely';
import { openMigratedDatabase } from '../platform/db.ts';
import type { Db, TaskMarketDatabase } from './database.ts';

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
        .createTable('agents')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull().unique())
        .addColumn('status', 'text', (column) =>
          column.notNull().check(sql`status in ('active', 'disabled')`),
        )
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('accounts')
        .addColumn('agent_id', 'text', (column) => column.primaryKey().references('agents.id'))
        .addColumn('available', 'integer', (column) => column.notNull().check(sql`available >= 0`))
        .addColumn('frozen', 'integer', (column) => column.notNull().check(sql`frozen >= 0`))
        .addColumn('status', 'text', (column) =>
          column.notNull().defaultTo('active').check(sql`status in ('active', 'locked')`),
        )
        .execute();
      await db.schema
        .createTable('ledger_entries')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('agent_id', 'text', (column) => column.notNull().references('agents.id'))
        .addColumn('type', 'text', (column) => column.notNull())
        .addColumn('amount', 'integer', (column) => column.notNull().check(sql`amount > 0`))
        .addColumn('task_id', 'text')
        .addColumn('available_after', 'integer', (column) => column.notNull())
        .addColumn('frozen_after', 'integer', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('ledger_entries_by_agent')
        .on('ledger_entries')
        .columns(['agent_id', 'created_at', 'id'])
        .execute();
      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('title', 'text', (column) => column.notNull())
        .addColumn('description', 'text', (column) => column.notNull())
        .addColumn('bounty', 'integer', (column) => column.notNull().check(sql`bounty > 0`))
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('publisher_id', 'text', (column) => column.notNull().references('agents.id'))
        .addColumn('executor_id', 'text', (column) => column.references('agents.id'))
        .addColumn('deadline', 'text', (column) => column.notNull())
        .addColumn('brief_updated_at', 'text')
        .addColumn('submission_content', 'text')
        .addColumn('submitted_at', 'text')
        .addColumn('rejection_reason', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('tasks_by_created')
        .on('tasks')
        .columns(['created_at', 'id'])
        .execute();
      await db.schema
        .createIndex('tasks_by_status_deadline')
        .on('tasks')
        .columns(['status', 'deadline'])
        .execute();
      // One unfinished task per executor, enforced by the database even under racing claims.
      await db.schema
        .createIndex('tasks_one_active_per_executor')
        .on('tasks')
        .column('executor_id')
        .unique()
        .where(sql<boolean>`status in ('claimed', 'submitted')`)
        .execute();
    },
  },
  // Each version of a brief is its own file, published by pointing the task's row at it: an
  // upload that loses to a claim leaves nothing the executor could read. Briefs uploaded before
  // are the `<task id>.md` files of the tasks still running.
  '002_brief_files': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('tasks').addColumn('brief_file', 'text').execute();
      // A task that has ended keeps no brief: its old file is left for the operator to remove.
      await sql`update tasks set brief_file = id || '.md'
        where brief_updated_at is not null and status in ('open', 'claimed', 'submitted')`.execute(
        db,
      );
    },
  },
  // A publisher's tasks by status (`GET /tasks?publisher_id=…`).
  '003_tasks_by_publisher': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('tasks_by_publisher_status')
        .on('tasks')
        .columns(['publisher_id', 'status'])
        .execute();
    },
  },
  // The cap on open tasks is kept as a count on the account, moved by the same guarded updates
  // as the tasks, so that it costs one row however many tasks there are and holds under races.
  '004_open_tasks_count': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('accounts')
        .addColumn('open_tasks', 'integer', (column) => column.notNull().defaultTo(0))
        .execute();
      await sql`update accounts set open_tasks = (select count(*) from tasks
        where tasks.publisher_id = accounts.agent_id and tasks.status = 'open')`.execute(db);
    },
  },
};

/**
 * The task market's database (a PostgreSQL URL, its schema `task_market`; a SQLite file or
 * `:memory:`) brought to the latest schema.
 */
export function openTaskMarketDatabase(location: string): Promise<Db> {
  return openMigratedDatabase<TaskMarketDatabase>(location, migrations, 'task_market');
}
