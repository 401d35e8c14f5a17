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
    /**
     * Express's `trust proxy` (unset: none, `request.ip` is the peer's address): `true`, a count
     * of proxies in front, or addresses and subnets (`loopback, 10.0.0.0/8`). Set it only behind
     * a proxy that sets X-Forwarded-For, or clients could choose their own address, and so escape
     * the limits counted per address.
     */
    trustProxy(name: string): boolean | number | string {
      const value = env[name];
      if (!value || value === 'false') {
        return false;
      }
      return value === 'true' ? true : /^\d+$/.test(value) ? Number(value) : value;
    },
    /** A file or directory under DATA_DIR (default `data`; empty counts as unset), unless `name` is set. */
    dataPath(name: string, ...parts: string[]): string {
      return env[name] || join(env.DATA_DIR || 'data', ...parts);
    },
  };
}
