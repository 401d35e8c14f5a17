/** Where the time comes from, so deadlines and token expiry can be reasoned about. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
