import type { Clock } from './clock.ts';

/** The verdict of a limiter: allowed, or how many seconds until the next window. */
export type Admission = { allowed: true } | { allowed: false; retryAfter: number };

/**
 * Counts requests per key in fixed windows aligned to the epoch (a minute, a UTC day) in this
 * process's memory. The counts of the previous window are dropped when a new one starts.
 */
export class FixedWindowLimiter {
  #window = -1;
  #counts = new Map<string, number>();

  constructor(
    readonly limit: number,
    readonly windowSeconds: number,
    private readonly clock: Clock,
  ) {}

  /** Counts one more for `key`: allowed while the window's count stays within the limit. */
  take(key: string): Admission {
    const now = this.clock.now().getTime();
    const windowMs = this.windowSeconds * 1000;
    const window = Math.floor(now / windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#counts.clear();
    }
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    if (count <= this.limit) {
      return { allowed: true };
    }
    return { allowed: false, retryAfter: Math.ceil(((window + 1) * windowMs - now) / 1000) };
  }

  /** Gives back what `take` counted for `key` (a failure counter, on a success). */
  refund(key: string): void {
    const count = this.#counts.get(key);
    if (count !== undefined) {
      this.#counts.set(key, Math.max(0, count - 1));
    }
  }
}
