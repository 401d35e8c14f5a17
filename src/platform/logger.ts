import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stdout, written asynchronously so logging never waits on the terminal;
 * LOG_LEVEL picks the level (`silent` in tests).
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ sync: false }),
  );
}
