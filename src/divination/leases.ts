import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Db, Trx } from './database.ts';
import { DivinationError } from './errors.ts';
import { randomId } from './ids.ts';

/**
 * How long a stream place or a run stays held without renewal. The instance holding it renews it
 * every third of this; one that dies stops renewing, and what it held is free this long after.
 */
export const leaseSeconds = 30;

/** How long a refused client is told to wait: about as long as a reading streams. */
const retryAfterSeconds = 5;

/**
 * What this instance holds, as leases in the database that every instance counts: each open run
 * stream a `stream_leases` row, each run it works its `agent_runs.lease_expires_at`. Nothing is
 * lost with an instance: its streams' places free themselves, its runs are ended by another.
 */
export function createLeases({ db, clock, logger }: { db: Db; clock: Clock; logger: Logger }) {
  const streams = new Set<string>();
  const runs = new Set<string>();
  const expiry = () => new Date(clock.now().getTime() + leaseSeconds * 1000).toISOString();

  return {
    /** When a lease taken now ends, unless renewed. */
    expiry,

    /**
     * Takes one of the user's open-stream places in `trx`, after those whose lease ran out are
     * dropped; 429 when `limit` are held. Racing takes count one after another: the first locks
     * the user's row. `hold` the id once the transaction has committed.
     */
    async takeStreamPlace(trx: Trx, userId: string, limit: number): Promise<string> {
      await trx
        .updateTable('users')
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('id', '=', userId)
        .execute();
      await trx
        .deleteFrom('stream_leases')
        .where('user_id', '=', userId)
        .where('expires_at', '<=', clock.now().toISOString())
        .execute();
      const { held } = await trx
        .selectFrom('stream_leases')
        .select((eb) => eb.fn.countAll().as('held'))
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      if (Number(held) >= limit) {
        // The document's 429s carry `retry_after` beside the code's own details (and its header).
        const details = { limit, retry_after: retryAfterSeconds };
        throw new DivinationError('AGENT_SSE_CONNECTION_LIMIT', details);
      }
      const id = randomId('sl_');
      await trx
        .insertInto('stream_leases')
        .values({ id, user_id: userId, expires_at: expiry() })
        .execute();
      return id;
    },

    /** Renews a stream place from now on, until it is released. */
    holdStream: (id: string) => streams.add(id),

    /** Gives a stream place back. */
    async releaseStream(id: string) {
      streams.delete(id);
      await db.deleteFrom('stream_leases').where('id', '=', id).execute();
    },

    /** Renews a run's lease while this instance works it. */
    holdRun: (runId: string) => runs.add(runId),
    releaseRun: (runId: string) => runs.delete(runId),

    /** Moves every lease this instance holds on; a failure is logged, the next renewal retries. */
    async renew() {
      const until = expiry();
      try {
        if (streams.size > 0) {
          await db
            .updateTable('stream_leases')
            .set({ expires_at: until })
            .where('id', 'in', [...streams])
            .execute();
        }
        if (runs.size > 0) {
          await db
            .updateTable('agent_runs')
            .set({ lease_expires_at: until })
            .where('run_id', 'in', [...runs])
            .where('status', '=', 'running')
            .execute();
        }
      } catch (error) {
        logger.warn({ err: error }, 'could not renew leases');
      }
    },
  };
}

export type Leases = ReturnType<typeof createLeases>;
