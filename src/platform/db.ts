import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  type Compilable,
  Kysely,
  type Migration,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  sql,
} from 'kysely';
import pg from 'pg';
import { isUniqueViolation } from './database-errors.ts';
import { platformMigrations } from './tables.ts';

/** Whether a database location is a PostgreSQL URL (`postgres://…`) rather than a SQLite file. */
export function isDatabaseUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/** A database location fit for a log: a PostgreSQL URL without its password. */
export function redactedLocation(location: string): string {
  if (!isDatabaseUrl(location)) {
    return location;
  }
  const url = new URL(location);
  if (url.password) {
    url.password = '***';
  }
  return url.href;
}

/**
 * A Kysely database: PostgreSQL for a `postgres://` URL, each service in a schema of its own
 * (its tables, the platform's and the migrations' beside each other's, however many services
 * share the database); else SQLite, a file (created, with its directory, when missing) or
 * `:memory:`. Handlers only see Kysely: none knows which database it is on.
 */
export function openDatabase<Schema>(location: string, schema = 'public'): Kysely<Schema> {
  return isDatabaseUrl(location) ? openPostgres(location, schema) : openSqlite(location);
}

function openPostgres<Schema>(url: string, schema: string): Kysely<Schema> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Every connection works in the service's schema.
    options: `-c search_path=${schema}`,
  });
  // An idle connection the server dropped is replaced by the pool; the error is no request's.
  pool.on('error', () => {});
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}

function openSqlite<Schema>(file: string): Kysely<Schema> {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true });
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // With WAL, NORMAL cannot corrupt the database; a power cut may only lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Kysely prepares every query it runs; preparing costs more than most queries here, so each
  // distinct SQL text is prepared once. Kysely runs one statement at a time on this connection.
  const statements = new Map<string, SQLite.Statement>();
  const database = {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= 1000) {
          statements.clear();
        }
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database }) });
  connections.set(db, sqlite);
  return db;
}

/**
 * A database (a PostgreSQL URL, a SQLite file or `:memory:`) brought to the latest of
 * `migrations` and of the platform's own (src/platform/tables.ts); throws, closing it, when one
 * fails. On PostgreSQL it works in `schema`, created when missing, and instances starting
 * together migrate once (Kysely's migrator holds a lock there); a SQLite file serves one instance.
 * Never edit a migration that shipped: add the next.
 */
export async function openMigratedDatabase<Schema>(
  location: string,
  migrations: Record<string, Migration>,
  schema = 'public',
): Promise<Kysely<Schema>> {
  const db = openDatabase<Schema>(location, schema);
  try {
    if (isDatabaseUrl(location)) {
      await createSchema(db, schema);
    }
    const all = { ...migrations, ...platformMigrations };
    // The platform's and a service's migrations interleave by name over time.
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => all },
      allowUnorderedMigrations: true,
      // Named, or Kysely takes another service's migration tables (it looks in every schema)
      // for this one's, which the search path does not reach.
      ...(isDatabaseUrl(location) && { migrationTableSchema: schema }),
    });
    const { error } = await migrator.migrateToLatest();
    if (error) {
      throw error;
    }
    return db;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/** Creates a PostgreSQL schema unless it exists; two instances may race to create it. */
async function createSchema<Schema>(db: Kysely<Schema>, schema: string) {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (error) {
    if (!isUniqueViolation(error)) {
      throw error;
    }
  }
}

/** The SQLite connection under each Kysely instance openDatabase made. */
const connections = new WeakMap<object, SQLite.Database>();

/**
 * A one-parameter query compiled once and then run with each new value, for the lookups every
 * request makes. While no transaction is open on the connection, it runs the prepared statement
 * at once and sees only committed rows; during one, it waits its turn behind it like any query.
 */
export function compiledLookup<Schema, Row>(
  db: Kysely<Schema>,
  query: Compilable<Row>,
): (value: string) => Promise<Row | undefined> {
  const compiled = query.compile();
  if (compiled.parameters.length !== 1) {
    throw new Error(
      `a lookup takes one parameter, not ${compiled.parameters.length}: ${compiled.sql}`,
    );
  }
  const sqlite = connections.get(db);
  const statement = sqlite?.prepare(compiled.sql);
  return async (value) => {
    if (sqlite && statement && !sqlite.inTransaction) {
      return statement.get(value) as Row | undefined;
    }
    return (await db.executeQuery<Row>({ ...compiled, parameters: [value] })).rows[0];
  };
}
