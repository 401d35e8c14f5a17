import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDatabase } from '../../src/platform/db.ts';
import { databaseReplayGuard } from '../../src/platform/replays.ts';
import type { PlatformTables } from '../../src/platform/tables.ts';
import { TestClock } from '../support/clock.ts';
import { databaseFor, testDatabases } from '../support/database.ts';

describe.each(testDatabases)('databaseReplayGuard on %s', (database) => {
  const clock = new TestClock();
  let db: Kysely<PlatformTables>;
  let guard: ReturnType<typeof databaseReplayGuard>;
  let drop = async () => {};
  beforeAll(async () => {
    const at = await databaseFor(database);
    db = await openMigratedDatabase<PlatformTables>(at.location, {});
    drop = at.drop;
    guard = databaseReplayGuard(db, clock);
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  const inFiveMinutes = () => new Date(clock.now().getTime() + 300_000);

  it('lets a key through once within its window, and again once the window closed', async () => {
    const until = inFiveMinutes();
    expect(await guard.firstUse('signature-a', until)).toBe(true);
    expect(await guard.firstUse('signature-a', until)).toBe(false);
    expect(await guard.firstUse('signature-b', until)).toBe(true);
    clock.advance(301);
    expect(await guard.firstUse('signature-a', inFiveMinutes())).toBe(true);
  });

  it('refuses all but one of racing uses of one key', async () => {
    const until = inFiveMinutes();
    const uses = await Promise.all(
      Array.from({ length: 10 }, () => guard.firstUse('signature-raced', until)),
    );
    expect(uses.filter(Boolean)).toHaveLength(1);
  });
});
