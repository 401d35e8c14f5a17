import type { ServiceDiff } from './diff.ts';

/** The major version of `1.4.2` (or `v1.4.2`); undefined when it is no such version. */
function major(version: string | undefined): number | undefined {
  const match = /^v?(\d+)\./.exec(version ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The first version a breaking change may ship in: the next major of the base's. */
export function nextMajor(diff: ServiceDiff): string {
  return `${(major(diff.before) ?? 0) + 1}.0.0`;
}

/** Whether the working tree's `info.version` is a new major version over the base's. */
export function bumpedMajor(diff: ServiceDiff): boolean {
  const [was, is] = [major(diff.before), major(diff.after)];
  return was !== undefined && is !== undefined && is > was;
}
