import { hasSection } from './changelog.ts';
import type { ServiceDiff } from './diff.ts';
import { describe } from './rules.ts';
import { bumpedMajor, nextMajor } from './version.ts';

/**
 * One line for each breaking change of a service that is not released as a new major version
 * with its CHANGELOG.md section: the service, the change, its rule, and what to do.
 */
export function gateFailures(diffs: ServiceDiff[], changelog: string): string[] {
  return diffs.flatMap((diff) => {
    const breaking = diff.changes.map(describe).filter((change) => change.class === 'breaking');
    const bumped = bumpedMajor(diff);
    if (
      breaking.length === 0 ||
      (bumped && hasSection(changelog, diff.service, diff.after ?? ''))
    ) {
      return [];
    }
    const version = bumped ? diff.after : nextMajor(diff);
    const entry = `add "## ${diff.service} ${version}" to CHANGELOG.md`;
    const todo = bumped ? entry : `bump info.version to ${version} and ${entry}`;
    return breaking.map(
      ({ text, rule }) => `${diff.service}: ${text} [${rule}] — breaking; ${todo}`,
    );
  });
}
