import { type Kysely, sql } from 'kysely';
import type { Clock } from './clock.ts';
import type { PlatformTables } from './tables.ts';

/** The verdict of a limiter: allowed, or how many seconds until the next window. */
export type Admission = { allowed: true } | { allowed: false; retryAfter: number };

/** Counts requests per key in fixed windows, and refuses past a limit. */
export interface Limiter {
  readonly limit: number;
  readonly windowSeconds: number;
  /** Counts one more for `key`: allowed while the window's count stays within the limit. */
  take(key: string): Promise<Admission>;
  /** Gives back what `take` counted for `key` in this window (a failure counter, on a success). */
  refund(key: string): Promise<void>;
}

/**
 * Limiters whose counts live in the service's database, so that every instance counts against
 * the same windows: a limit of N a minute is N across all of them. Windows are aligned to the
 * epoch (a minute, a UTC day); a key's row is reset when a new window starts, and rows of
 * windows long past are swept out.
 */
export function databaseLimits(db: Kysely<PlatformTables>, clock: Clock) {
  const table = 'platform_limit_windows';
  let sweptAt = 0;

  /** Deletes the rows of windows that have ended, at most once a minute per instance. */
  async function sweep(now: number) {
    if (now - sweptAt >= 60_000) {
      sweptAt = now;
      await db.deleteFrom(table).where('ends_at', '<=', new Date(now).toISOString()).execute();
    }
  }

  // One statement counts and reads, so that racing requests each get their own count. It runs
  // on most requests: it is compiled once, and run with each key's values.
  const count = db
    .insertInto(table)
    .values({ key: '', ends_at: '', hits: 1 })
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet({
        hits: sql`case when ${sql.ref(`${table}.ends_at`)} = excluded.ends_at
          then ${sql.ref(`${table}.hits`)} + 1 else 1 end`,
        ends_at: sql`excluded.ends_at`,
      }),
    )
    .returning('hits')
    .compile();
  if (count.parameters.length !== 3) {
    throw new Error(`the limit count takes key, end and 1, not ${count.parameters.length} values`);
  }

  return (name: string, limit: number, windowSeconds: number): Limiter => {
    const windowMs = windowSeconds * 1000;
    const windowEnd = (now: number) => (Math.floor(now / windowMs) + 1) * windowMs;
    return {
      limit,
      windowSeconds,
      async take(key) {
        const now = clock.now().getTime();
        await sweep(now);
        const end = windowEnd(now);
        const endsAt = new Date(end).toISOString();
        const { rows } = await db.executeQuery<{ hits: number }>({
          ...count,
          parameters: [`${name}:${key}`, endsAt, 1],
        });
        const hits = rows[0]?.hits ?? Number.POSITIVE_INFINITY;
        return hits <= limit
          ? { allowed: true }
          : { allowed: false, retryAfter: Math.ceil((end - now) / 1000) };
      },
      async refund(key) {
        const endsAt = new Date(windowEnd(clock.now().getTime())).toISOString();
        await db
          .updateTable(table)
          .set({ hits: sql`case when hits > 0 then hits - 1 else 0 end` })
          .where('key', '=', `${name}:${key}`)
          .where('ends_at', '=', endsAt)
          .execute();
      },
    };
  };
}
