import type { Kysely } from 'kysely';
import type { Clock } from './clock.ts';
import type { PlatformTables } from './tables.ts';

/** Refuses a request seen before within its window (a signed write sent twice). */
export interface ReplayGuard {
  /** Whether `key` is new; it is then kept until `until`, and refused as a repeat meanwhile. */
  firstUse(key: string, until: Date): Promise<boolean>;
}

/** How often expired keys are swept out, at most. */
const sweepEveryMs = 60_000;

/**
 * A replay guard kept in the service's database, so every instance refuses what another one
 * saw. Expired keys are swept out at most once a minute per instance.
 */
export function databaseReplayGuard(db: Kysely<PlatformTables>, clock: Clock): ReplayGuard {
  let sweptAt = 0;
  const insert = (key: string, until: Date) =>
    db
      .insertInto('platform_seen_requests')
      .values({ key, expires_at: until.toISOString() })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .executeTakeFirst();

  return {
    async firstUse(key, until) {
      const now = clock.now();
      if (now.getTime() - sweptAt >= sweepEveryMs) {
        sweptAt = now.getTime();
        await db
          .deleteFrom('platform_seen_requests')
          .where('expires_at', '<=', now.toISOString())
          .execute();
      }
      const { numInsertedOrUpdatedRows } = await insert(key, until);
      return numInsertedOrUpdatedRows === 1n;
    },
  };
}
