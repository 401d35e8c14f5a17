// A publish of the benchmark, signed as task-market writes must be: each one a new body, since
// the market refuses a signed request it has seen (a replay).
import { sign } from '../src/task-market/auth.ts';

/** What a bench target reports when it listens. */
export interface BenchTarget {
  origin: string;
  taskId: string;
  authorization: string;
  signingKey: string;
}

/** The body of the `n`th publish. */
export function publishBody(n: number): string {
  return JSON.stringify({
    title: `Benchmark task ${n}`,
    bounty: 1,
    deadline: '2099-01-01T00:00:00Z',
  });
}

/** The headers of a signed publish of `body`. */
export function signedPublish(
  authorization: string,
  signingKey: string,
  body: string,
): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    authorization,
    'content-type': 'application/json',
    'x-timestamp': timestamp,
    'x-signature': sign(signingKey, {
      method: 'POST',
      path: '/task-market/tasks',
      timestamp,
      contentType: 'application/json',
      contentEncoding: '',
      idempotencyKey: '',
      body,
    }),
  };
}
