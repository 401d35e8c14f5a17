import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoAgents } from '../../src/task-market/demo.ts';
import { taskMarket } from '../../src/task-market/index.ts';
import { databaseFor } from '../support/database.ts';
import { startService } from '../support/service.ts';

// Instances that start together on one empty PostgreSQL database seed the demo agents once.

describe('two instances starting together on one PostgreSQL database', () => {
  it('seed each demo agent once, with its points granted once', async () => {
    const database = await databaseFor('postgres');
    const settings = taskMarket.settings({
      DATABASE_URL: database.location,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'seeding-')),
    });
    const instances = await Promise.all([
      startService(taskMarket, settings),
      startService(taskMarket, settings),
    ]);
    try {
      const { db } = instances[0]?.service ?? {};
      const agents = await db?.selectFrom('agents').select('id').execute();
      expect(agents?.map(({ id }) => id).sort()).toEqual(demoAgents.map(({ id }) => id).sort());
      const grants = await db
        ?.selectFrom('ledger_entries')
        .select(['agent_id', 'amount'])
        .where('type', '=', 'grant')
        .execute();
      expect(grants).toHaveLength(demoAgents.length);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
      await database.drop();
    }
  });
});
