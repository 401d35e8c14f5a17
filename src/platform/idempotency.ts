import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Kysely } from 'kysely';
import type { Clock } from './clock.ts';
import type { AnyReply } from './handlers.ts';
import type { RequestWithRawBody } from './http.ts';
import type { PlatformTables } from './tables.ts';

/** A write's answer as it is kept for the repeats of its Idempotency-Key. */
export interface KeptAnswer {
  status: number;
  body: unknown;
}

/** Why a write with a used Idempotency-Key is refused. */
export type KeyConflict = 'reused' | 'running';

/** What `begin` found for a key. */
export type KeyState =
  | { state: 'new' }
  | { state: 'done'; answer: KeptAnswer }
  | { state: 'conflict'; conflict: KeyConflict };

/**
 * Idempotency keys kept in the service's database, so a write retried on any instance is done
 * once: the first request with a key runs and its success is kept for `ttlSeconds`; a repeat
 * with the same request gets that answer back, a different request with the key is refused,
 * and so is a repeat while the first still runs (for its lease). A failure is not kept: a retry
 * runs again. Expired keys are swept out as new ones come.
 */
export function databaseIdempotency(
  db: Kysely<PlatformTables>,
  clock: Clock,
  { ttlSeconds = 86_400, leaseSeconds = 120 } = {},
) {
  const table = 'platform_idempotency';
  let sweptAt = 0;

  /** Deletes expired keys, at most once a minute per instance. */
  async function sweep(now: Date) {
    if (now.getTime() - sweptAt >= 60_000) {
      sweptAt = now.getTime();
      await db.deleteFrom(table).where('expires_at', '<=', now.toISOString()).execute();
    }
  }

  return {
    /**
     * Claims `key` for this request (by its fingerprint), or says what holds it. A claim whose
     * request never finished (its process died) is taken over once its lease has run out.
     */
    async begin(scope: string, key: string, fingerprint: string): Promise<KeyState> {
      const now = clock.now();
      await sweep(now);
      const expiresAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString();
      const claimed = await db
        .insertInto(table)
        .values({ scope, key, fingerprint, status: null, body: null, expires_at: expiresAt })
        .onConflict((conflict) => conflict.columns(['scope', 'key']).doNothing())
        .executeTakeFirst();
      if (claimed.numInsertedOrUpdatedRows === 1n) {
        return { state: 'new' };
      }
      const held = await db
        .selectFrom(table)
        .select(['fingerprint', 'status', 'body', 'expires_at'])
        .where('scope', '=', scope)
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      if (held.fingerprint !== fingerprint) {
        return { state: 'conflict', conflict: 'reused' };
      }
      if (held.status !== null) {
        return {
          state: 'done',
          answer: { status: held.status, body: JSON.parse(held.body ?? 'null') },
        };
      }
      const leaseEnds = Date.parse(held.expires_at) - (ttlSeconds - leaseSeconds) * 1000;
      if (leaseEnds > now.getTime()) {
        return { state: 'conflict', conflict: 'running' };
      }
      const taken = await db
        .updateTable(table)
        .set({ expires_at: expiresAt })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .where('status', 'is', null)
        .where('expires_at', '=', held.expires_at)
        .executeTakeFirst();
      return taken.numUpdatedRows === 1n
        ? { state: 'new' }
        : { state: 'conflict', conflict: 'running' };
    },

    /** Keeps the answer of the request that claimed `key`. */
    async finish(scope: string, key: string, answer: KeptAnswer): Promise<void> {
      await db
        .updateTable(table)
        .set({ status: answer.status, body: JSON.stringify(answer.body) })
        .where('scope', '=', scope)
        .where('key', '=', key)
        .execute();
    },

    /** Lets `key` go after its request failed, so a retry runs again. */
    async release(scope: string, key: string): Promise<void> {
      await db.deleteFrom(table).where('scope', '=', scope).where('key', '=', key).execute();
    },
  };
}

export type Idempotency = ReturnType<typeof databaseIdempotency>;

/** What makes two writes the same: method, path with query, and the body's bytes. */
function requestFingerprint(request: Request): string {
  return createHash('sha256')
    .update(`${request.method} ${request.originalUrl}\n`)
    .update((request as RequestWithRawBody).rawBody ?? Buffer.alloc(0))
    .digest('hex');
}

/**
 * Runs a write once per (scope, key): a repeat of the same request gets the first success back,
 * another request with the key, or a repeat while the first runs, the service's refusal.
 */
export async function runOnce(
  { store, refuse }: { store: Idempotency; refuse(conflict: KeyConflict): Error },
  scope: string,
  key: string,
  request: Request,
  answer: () => Promise<AnyReply>,
): Promise<AnyReply> {
  const held = await store.begin(scope, key, requestFingerprint(request));
  if (held.state === 'done') {
    return { ...held.answer, headers: { 'Idempotent-Replayed': 'true' } };
  }
  if (held.state === 'conflict') {
    throw refuse(held.conflict);
  }
  let reply: AnyReply;
  try {
    reply = await answer();
  } catch (error) {
    // Nothing was done: a retry may run again.
    await store.release(scope, key);
    throw error;
  }
  if (reply.status < 300 && reply.events === undefined) {
    // Done: should keeping the answer fail, the key stays claimed until its lease ends rather
    // than let a retry do the write twice.
    await store.finish(scope, key, { status: reply.status, body: reply.body });
  } else {
    await store.release(scope, key);
  }
  return reply;
}
