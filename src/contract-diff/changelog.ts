import type { ServiceDiff } from './diff.ts';
import { type Class, describe } from './rules.ts';
import { bumpedMajor, nextMajor } from './version.ts';

/** One release of one service in CHANGELOG.md: `## <service> <version>` and what follows it. */
export interface ChangelogSection {
  service: string;
  version: string;
  /** The markdown between its heading and the next one. */
  body: string;
}

const heading = /^## (\S+) (\S+)\s*$/;

/** The sections of CHANGELOG.md, in its order (newest first); the preamble is not one. */
export function changelogSections(text: string): ChangelogSection[] {
  const sections: ChangelogSection[] = [];
  let current: ChangelogSection | undefined;
  for (const line of text.split('\n')) {
    const match = heading.exec(line);
    if (match) {
      current = { service: match[1] ?? '', version: match[2] ?? '', body: '' };
      sections.push(current);
    } else if (/^#{1,2} /.test(line)) {
      current = undefined; // another heading of that level ends the section
    } else if (current) {
      current.body += `${line}\n`;
    }
  }
  return sections.map((section) => ({ ...section, body: section.body.trim() }));
}

export function hasSection(text: string, service: string, version: string): boolean {
  return changelogSections(text).some(
    (section) => section.service === service && section.version === version,
  );
}

const titles: Record<Class, string> = { breaking: 'Breaking', warning: 'Warning', safe: 'Safe' };

/** The section for a service's new version: its changes by class, each with its rule. */
export function changelogSection(diff: ServiceDiff, base: string, date: string): string {
  const described = diff.changes.map(describe);
  const groups = (Object.keys(titles) as Class[]).flatMap((group) => {
    const lines = described
      .filter((change) => change.class === group)
      .map((change) => `- ${change.text} (${change.rule})`);
    return lines.length > 0 ? [`### ${titles[group]}\n\n${lines.join('\n')}`] : [];
  });
  const since = `${date}, against ${base} (${diff.service} ${diff.before ?? 'absent'}).`;
  return [`## ${diff.service} ${diff.after}`, since, ...groups].join('\n\n');
}

/**
 * The sections `--changelog` writes: one for each service with changes whose `info.version` is
 * new and has no section yet, unless it has breaking changes and no new major version. `skipped`
 * says why each other service with changes got none.
 */
export function newSections(
  diffs: ServiceDiff[],
  text: string,
  base: string,
  date: string,
): { sections: string[]; skipped: string[] } {
  const sections: string[] = [];
  const skipped: string[] = [];
  for (const diff of diffs.filter((candidate) => candidate.changes.length > 0)) {
    const { service, before, after } = diff;
    const breaking = diff.changes.some((change) => describe(change).class === 'breaking');
    if (after === undefined || after === before) {
      skipped.push(`${service}: info.version is still ${before}; a section names a new version`);
    } else if (hasSection(text, service, after)) {
      skipped.push(`${service}: CHANGELOG.md has "## ${service} ${after}" already`);
    } else if (breaking && !bumpedMajor(diff)) {
      skipped.push(`${service}: breaking changes need info.version ${nextMajor(diff)} or later`);
    } else {
      sections.push(changelogSection(diff, base, date));
    }
  }
  return { sections, skipped };
}

/** CHANGELOG.md with `sections` put first, after the preamble that explains the format. */
export function insertSections(text: string, sections: string[]): string {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => heading.test(line));
  const at = first === -1 ? lines.length : first;
  const preamble = lines.slice(0, at).join('\n').trimEnd();
  const rest = lines.slice(at).join('\n').trim();
  return `${[preamble, ...sections, rest].filter(Boolean).join('\n\n')}\n`;
}
