import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** One `apis:` entry of redocly.yaml: a service and where its document lives. */
export interface Api {
  service: string;
  root: string;
  /** Whether the service's document exists yet; the build skips those that do not. */
  exists: boolean;
}

/** The services redocly.yaml lists, in its order, relative to the project root `cwd`. */
export function readApis(cwd: string): Api[] {
  const config = parse(readFileSync(join(cwd, 'redocly.yaml'), 'utf8')) as {
    apis?: Record<string, { root: string }>;
  };
  return Object.entries(config.apis ?? {}).map(([service, { root }]) => ({
    service,
    root,
    exists: existsSync(join(cwd, root)),
  }));
}
