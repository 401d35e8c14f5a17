import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openMigratedDatabase } from '../../src/platform/db.ts';
import { databaseReplayGuard } from '../../src/platform/replays.ts';
import type { PlatformTables } from '../../src/platform/tables.ts';
import { TestClock } from '../support/clock.ts';

const db = await openMigratedDatabase<PlatformTables>(':memory:', {});
afterAll(() => db.destroy());

describe('databaseReplayGuard', () => {
  const clock = new TestClock();
  const guard = databaseReplayGuard(db as Kysely<PlatformTables>, clock);
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
