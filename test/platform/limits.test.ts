import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDatabase } from '../../src/platform/db.ts';
import { databaseLimits } from '../../src/platform/limits.ts';
import type { PlatformTables } from '../../src/platform/tables.ts';
import { TestClock } from '../support/clock.ts';
import { databaseFor, testDatabases } from '../support/database.ts';

// Limits are counted in the database: two instances (two connections here) share one count.

describe.each(testDatabases)('databaseLimits on %s', (database) => {
  const clock = new TestClock();
  const instances: Kysely<PlatformTables>[] = [];
  let drop = async () => {};
  beforeAll(async () => {
    // Two connections to one database: a file for SQLite, where `:memory:` is one connection's.
    const at =
      database === 'sqlite'
        ? { location: join(mkdtempSync(join(tmpdir(), 'limits-')), 'db.sqlite'), drop }
        : await databaseFor(database);
    drop = at.drop;
    for (let index = 0; index < 2; index += 1) {
      instances.push(await openMigratedDatabase<PlatformTables>(at.location, {}));
    }
  });
  afterAll(async () => {
    await Promise.all(instances.map((db) => db.destroy()));
    await drop();
  });

  const limiters = (name: string, limit: number) =>
    instances.map((db) => databaseLimits(db, clock)(name, limit, 60));

  it('admits exactly the limit across instances, however the requests race', async () => {
    const [one, two] = limiters('race', 10);
    const takes = Array.from({ length: 30 }, (_, index) =>
      (index % 2 === 0 ? one : two)?.take('agent:a'),
    );
    const admissions = await Promise.all(takes);
    expect(admissions.filter((admission) => admission?.allowed)).toHaveLength(10);
    expect(admissions.find((admission) => !admission?.allowed)).toMatchObject({
      allowed: false,
      retryAfter: expect.any(Number),
    });
  });

  it('counts each key on its own, gives back a refund, and starts again in the next window', async () => {
    const [one, two] = limiters('window', 2) as [
      ReturnType<typeof limiters>[number],
      ReturnType<typeof limiters>[number],
    ];
    expect((await one.take('a')).allowed).toBe(true);
    expect((await two.take('a')).allowed).toBe(true);
    expect((await two.take('b')).allowed).toBe(true);
    // A refused request counts too: refunding one of two allowed leaves room for one more.
    await two.refund('a');
    expect((await one.take('a')).allowed).toBe(true);
    expect((await one.take('a')).allowed).toBe(false);
    clock.advance(60);
    expect((await two.take('a')).allowed).toBe(true);
  });
});
