import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/divination/database.ts';
import { openDivinationDatabase } from '../../src/divination/migrations.ts';
import { createRunFeed, type RunFeed, runEvents } from '../../src/divination/run-stream.ts';
import type { StreamEvent } from '../../src/platform/event-stream.ts';

const runId = 'run_AAAAAAAAAAAA';
let db: Db;
let feed: RunFeed;

beforeEach(async () => {
  db = await openDivinationDatabase(':memory:');
  feed = createRunFeed();
  await db
    .insertInto('agent_runs')
    .values({
      run_id: runId,
      thread_id: 'thr_A',
      user_id: 'u_A',
      status: 'running',
      position: 0,
      lease_expires_at: null,
      created_at: '',
      ended_at: null,
    })
    .execute();
});
afterEach(() => db.destroy());

let seq = 0;
beforeEach(() => {
  seq = 0;
});

/** Stores the next event of the run, as its worker would (without telling the feed). */
async function store(type: string) {
  seq += 1;
  await db
    .insertInto('run_events')
    .values({ run_id: runId, seq, data: JSON.stringify({ type }) })
    .execute();
}

async function end(type = 'RUN_FINISHED') {
  await store(type);
  await db.updateTable('agent_runs').set({ status: 'finished' }).execute();
}

async function read(events: AsyncIterable<StreamEvent>) {
  const seen: string[] = [];
  for await (const event of events) {
    seen.push(`${event.id}:${JSON.parse(event.data as string).type}`);
  }
  return seen;
}

const tail = (after: number, pollMs = 5000, signal = new AbortController().signal) =>
  runEvents(db, feed, { runId, after, signal, pollMs });

describe('a run’s events', () => {
  it('replay after an id, then end with the run', async () => {
    await store('RUN_STARTED');
    await store('TEXT_MESSAGE_START');
    await end();
    expect(await read(tail(0))).toEqual([
      '1:RUN_STARTED',
      '2:TEXT_MESSAGE_START',
      '3:RUN_FINISHED',
    ]);
    expect(await read(tail(1))).toEqual(['2:TEXT_MESSAGE_START', '3:RUN_FINISHED']);
    expect(await read(tail(3))).toEqual([]);
  });

  it('follow the run live when its worker tells', async () => {
    await store('RUN_STARTED');
    const seen = read(tail(0));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store('TEXT_MESSAGE_START');
    feed.notify(runId);
    await end('RUN_ERROR');
    feed.notify(runId, true);
    const started = Date.now();
    expect(await seen).toEqual(['1:RUN_STARTED', '2:TEXT_MESSAGE_START', '3:RUN_ERROR']);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('find what another instance stores by looking again', async () => {
    const seen = read(tail(0, 20));
    await store('RUN_STARTED');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await end();
    expect(await seen).toEqual(['1:RUN_STARTED', '2:RUN_FINISHED']);
  });

  it('end when the run is deleted, or the client leaves', async () => {
    await store('RUN_STARTED');
    const leaving = new AbortController();
    const left = read(tail(1, 5000, leaving.signal));
    setTimeout(() => leaving.abort(), 20);
    expect(await left).toEqual([]);

    const deleted = read(tail(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await db.deleteFrom('agent_runs').execute();
    expect(await deleted).toEqual(['1:RUN_STARTED']);
  });
});
