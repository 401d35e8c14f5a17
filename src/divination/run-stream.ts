import type { StreamEvent } from '../platform/event-stream.ts';
import type { Db } from './database.ts';

/**
 * Tells the streams of a run on this instance that it has new events. Streams of other instances'
 * runs find them by polling the database, so a stream follows its run wherever it runs.
 */
export function createRunFeed() {
  const versions = new Map<string, number>();
  const waiters = new Map<string, Set<() => void>>();
  return {
    /** The run's notifications so far: what `wait` compares with. */
    version: (runId: string) => versions.get(runId) ?? 0,

    /** New events of a run are committed; `ended` when it wrote its last. */
    notify(runId: string, ended = false) {
      if (ended) {
        versions.delete(runId);
      } else {
        versions.set(runId, (versions.get(runId) ?? 0) + 1);
      }
      for (const wake of waiters.get(runId) ?? []) {
        wake();
      }
      waiters.delete(runId);
    },

    /** Resolves after a notification since `version`, after `ms`, or when `signal` aborts. */
    wait(runId: string, version: number, ms: number, signal: AbortSignal): Promise<void> {
      if ((versions.get(runId) ?? 0) !== version || signal.aborted) {
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', wake);
          waiters.get(runId)?.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        signal.addEventListener('abort', wake, { once: true });
        const set = waiters.get(runId) ?? new Set();
        set.add(wake);
        waiters.set(runId, set);
      });
    },
  };
}

export type RunFeed = ReturnType<typeof createRunFeed>;

const finalTypes = new Set(['RUN_FINISHED', 'RUN_ERROR']);

/** Whether a stored event ends its run. */
export const isFinalEvent = (data: string) =>
  finalTypes.has((JSON.parse(data) as { type: string }).type);

/**
 * A run's events after `after` (its SSE ids are their `seq`): those stored, then each as it is
 * stored, until the run's last (`RUN_FINISHED`, `RUN_ERROR`), until the run is gone (its session
 * deleted), or until `signal` aborts (the client left).
 */
export async function* runEvents(
  db: Db,
  feed: RunFeed,
  run: { runId: string; after: number; signal: AbortSignal; pollMs: number },
): AsyncGenerator<StreamEvent> {
  const { runId, signal } = run;
  let last = run.after;
  let ended = false;
  for (;;) {
    const version = feed.version(runId);
    const rows = await db
      .selectFrom('run_events')
      .select(['seq', 'data'])
      .where('run_id', '=', runId)
      .where('seq', '>', last)
      .orderBy('seq')
      .execute();
    for (const row of rows) {
      yield { id: String(row.seq), data: row.data };
      last = row.seq;
      if (isFinalEvent(row.data)) {
        return;
      }
    }
    if (rows.length > 0) {
      continue;
    }
    if (ended || signal.aborted) {
      return;
    }
    const current = await db
      .selectFrom('agent_runs')
      .select('status')
      .where('run_id', '=', runId)
      .executeTakeFirst();
    if (!current) {
      return;
    }
    // A run's last event is committed with its status: one more read finds it.
    ended = current.status !== 'running';
    if (!ended) {
      await feed.wait(runId, version, run.pollMs, signal);
    }
  }
}
