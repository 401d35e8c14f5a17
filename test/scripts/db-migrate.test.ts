import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db.ts';
import { databaseFor, type TestDatabase, testDatabases } from '../support/database.ts';

// npm run db:migrate brings every service's database to its latest schema, on either database.

const tsx = resolve('node_modules/.bin/tsx');

/** The environment that points the services at a fresh database of `kind`. */
async function environment(kind: TestDatabase) {
  const dataDir = mkdtempSync(join(tmpdir(), 'migrate-'));
  if (kind === 'sqlite') {
    const location = join(dataDir, 'task-market.sqlite');
    return { env: { DATA_DIR: dataDir }, location, drop: async () => {} };
  }
  const fresh = await databaseFor(kind);
  return { env: { DATA_DIR: dataDir, DATABASE_URL: fresh.location }, ...fresh };
}

describe.each(testDatabases)('npm run db:migrate on %s', (kind) => {
  it('creates every service’s tables, and does nothing the second time', async () => {
    const { env, location, drop } = await environment(kind);
    try {
      for (let run = 0; run < 2; run += 1) {
        const migrate = spawnSync(tsx, ['scripts/db-migrate.ts'], {
          env: { ...process.env, DATABASE_URL: '', ...env },
          encoding: 'utf8',
        });
        expect(migrate.status, migrate.stderr).toBe(0);
        expect(migrate.stdout).toContain('task-market: migrated');
        expect(migrate.stdout).toContain('workflow-cloud: migrated');
      }
      // Each service's tables, in its schema (or its file), the second beside the first.
      const places = [
        { file: location, schema: 'task_market' },
        {
          file: location.replace('task-market.sqlite', 'workflow-cloud.sqlite'),
          schema: 'workflow_cloud',
        },
      ];
      for (const { file, schema } of places) {
        const db = openDatabase<{ tasks: { id: string } }>(
          kind === 'sqlite' ? file : location,
          schema,
        );
        try {
          expect(await db.selectFrom('tasks').select('id').execute()).toEqual([]);
        } finally {
          await db.destroy();
        }
      }
    } finally {
      await drop();
    }
  });
});
