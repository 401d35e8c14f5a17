import type { ServiceDiff } from './diff.ts';
import { type Class, describe } from './rules.ts';

const order: Class[] = ['breaking', 'warning', 'safe'];

/** Each service's changes, breaking first, one line each with the rule it fell under. */
export function report(diffs: ServiceDiff[]): string {
  return diffs
    .map((diff) => {
      const versions =
        diff.before === diff.after
          ? `${diff.after ?? '(no document)'}`
          : `${diff.before ?? '(none)'} → ${diff.after ?? '(none)'}`;
      const described = diff.changes.map(describe);
      if (described.length === 0) {
        return `${diff.service} ${versions}: no changes`;
      }
      const counts = order.map(
        (group) => `${described.filter((c) => c.class === group).length} ${group}`,
      );
      const lines = order.flatMap((group) =>
        described
          .filter((change) => change.class === group)
          .map((change) => `  ${group.padEnd(8)}  ${change.text} [${change.rule}]`),
      );
      return [`${diff.service} ${versions}: ${counts.join(', ')}`, ...lines].join('\n');
    })
    .join('\n\n');
}
