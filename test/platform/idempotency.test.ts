import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDatabase } from '../../src/platform/db.ts';
import { databaseIdempotency } from '../../src/platform/idempotency.ts';
import type { PlatformTables } from '../../src/platform/tables.ts';
import { TestClock } from '../support/clock.ts';
import { databaseFor, testDatabases } from '../support/database.ts';

describe.each(testDatabases)('databaseIdempotency on %s', (database) => {
  const clock = new TestClock();
  let db: Kysely<PlatformTables>;
  let store: ReturnType<typeof databaseIdempotency>;
  let drop = async () => {};
  beforeAll(async () => {
    const at = await databaseFor(database);
    db = await openMigratedDatabase<PlatformTables>(at.location, {});
    drop = at.drop;
    store = databaseIdempotency(db, clock, { ttlSeconds: 3600, leaseSeconds: 60 });
  });
  afterAll(async () => {
    await db.destroy();
    await drop();
  });

  it('runs a key once, answers its repeats, and refuses it for another request', async () => {
    expect(await store.begin('agent:a', 'k1', 'request-1')).toEqual({ state: 'new' });
    expect(await store.begin('agent:a', 'k1', 'request-1')).toEqual({
      state: 'conflict',
      conflict: 'running',
    });
    await store.finish('agent:a', 'k1', { status: 201, body: { id: 't1' } });
    expect(await store.begin('agent:a', 'k1', 'request-1')).toEqual({
      state: 'done',
      answer: { status: 201, body: { id: 't1' } },
    });
    expect(await store.begin('agent:a', 'k1', 'request-2')).toEqual({
      state: 'conflict',
      conflict: 'reused',
    });
    expect(await store.begin('agent:b', 'k1', 'request-2')).toEqual({ state: 'new' });
  });

  it('lets a retry take over a claim whose request never finished, once its lease ran out', async () => {
    expect(await store.begin('agent:a', 'k2', 'request-1')).toEqual({ state: 'new' });
    clock.advance(59);
    expect((await store.begin('agent:a', 'k2', 'request-1')).state).toBe('conflict');
    clock.advance(2);
    expect(await store.begin('agent:a', 'k2', 'request-1')).toEqual({ state: 'new' });
  });

  it('forgets a key once it expired, and sweeps expired keys away', async () => {
    await store.begin('agent:c', 'k3', 'request-1');
    await store.finish('agent:c', 'k3', { status: 200, body: null });
    clock.advance(3601);
    expect(await store.begin('agent:c', 'k4', 'request-1')).toEqual({ state: 'new' });
    const left = await db.selectFrom('platform_idempotency').select('key').execute();
    expect(left.map((row) => row.key)).toEqual(['k4']);
  });
});
