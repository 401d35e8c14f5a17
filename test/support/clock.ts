import type { Clock } from '../../src/platform/clock.ts';

/** A clock the test moves: deadlines pass and tokens expire without waiting. */
export class TestClock implements Clock {
  #now = Date.parse('2026-11-22T08:00:00.000Z');

  now(): Date {
    return new Date(this.#now);
  }

  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }
}
