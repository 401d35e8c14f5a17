import { join } from 'node:path';

/**
 * Reads settings from environment variables, each with its default, failing with a message that
 * names the variable. One reader per service: `const read = settingsReader(env)`.
 */
export function settingsReader(env: NodeJS.ProcessEnv) {
  return {
    /** A positive number (`TASK_MARKET_RATE_LIMIT=600`); unset or empty is the fallback. */
    positive(name: string, fallback: number): number {
      const value = Number(env[name] || fallback);
      if (!Number.isFinite(value) || value <= 0) {
        throw new Error(`${name} must be a positive number, not ${env[name]}`);
      }
      return value;
    },
    /** A string, or undefined when unset or empty. */
    optional(name: string): string | undefined {
      return env[name] || undefined;
    },
    /** A file or directory under DATA_DIR (default `data`), unless `name` is set. */
    dataPath(name: string, ...parts: string[]): string {
      return env[name] || join(env.DATA_DIR ?? 'data', ...parts);
    },
  };
}
