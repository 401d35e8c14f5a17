import type { Db, Trx } from './database.ts';
import { DivinationError } from './errors.ts';

/** How long a refused client is told to wait: about as long as a reading streams. */
const retryAfterSeconds = 5;

/**
 * Takes one of the user's open-stream places in `trx`: the counter on the user's row, moved by an
 * update guarded by the limit, counts every instance's streams. 429 when they are all taken.
 */
export async function takeStreamPlace(trx: Trx | Db, userId: string, limit: number) {
  const taken = await trx
    .updateTable('users')
    .set((eb) => ({ open_streams: eb('open_streams', '+', 1) }))
    .where('id', '=', userId)
    .where('open_streams', '<', limit)
    .executeTakeFirst();
  if (taken.numUpdatedRows === 0n) {
    // The document's 429s carry `retry_after` beside the code's own details (and its header).
    const details = { limit, retry_after: retryAfterSeconds };
    throw new DivinationError('AGENT_SSE_CONNECTION_LIMIT', details);
  }
}

/**
 * A release of one place, done once however many ways the stream ends (its producer's end, the
 * client leaving, shutdown). A failed release is logged by `onError`: the place stays taken.
 */
export function streamPlaceRelease(db: Db, userId: string, onError: (error: unknown) => void) {
  let released: Promise<void> | undefined;
  return () => {
    released ??= db
      .updateTable('users')
      .set((eb) => ({ open_streams: eb('open_streams', '-', 1) }))
      .where('id', '=', userId)
      .where('open_streams', '>', 0)
      .execute()
      .then(() => undefined, onError);
    return released;
  };
}
