// npm run contract:diff [-- <base>] [--changelog]
// What changed in each service's contract (bundled document and error catalog) between <base>
// and the working tree, each change classified breaking, warning or safe for a client; and
// whether the breaking-change gate (test/contract-diff/gate.test.ts) passes. <base> defaults to
// the latest v* tag, else the merge base with main. --changelog puts the section of each
// service with a new info.version at the top of CHANGELOG.md, for review in the same commit.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { insertSections, newSections } from '../src/contract-diff/changelog.ts';
import { gateFailures } from '../src/contract-diff/gate.ts';
import { type Base, commitExists, defaultBase } from '../src/contract-diff/git.ts';
import { report } from '../src/contract-diff/report.ts';
import { diffWorkingTree } from '../src/contract-diff/working-tree.ts';

const usage = 'usage: npm run contract:diff [-- <base>] [--changelog]';
const { values, positionals } = (() => {
  try {
    return parseArgs({
      options: { changelog: { type: 'boolean', default: false } },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  }
})();
const [given, ...extra] = positionals;
if (extra.length > 0) {
  console.error(usage);
  process.exit(2);
}
const root = process.cwd();
const base: Base =
  given === undefined
    ? defaultBase(root)
    : commitExists(root, given)
      ? { ref: given, reason: 'given' }
      : { skipped: `${given} names no commit of this repository` };
if ('skipped' in base) {
  console.error(`Nothing to compare with: ${base.skipped}.`);
  process.exit(1);
}

const diffs = diffWorkingTree(root, base.ref);
console.log(`The working tree against ${base.ref} (${base.reason}):\n\n${report(diffs)}`);

const changelogFile = 'CHANGELOG.md';
let changelog = existsSync(changelogFile) ? readFileSync(changelogFile, 'utf8') : '# Changelog\n';
if (values.changelog) {
  const today = new Date().toISOString().slice(0, 10);
  const { sections, skipped } = newSections(diffs, changelog, base.ref, today);
  if (sections.length > 0) {
    changelog = insertSections(changelog, sections);
    writeFileSync(changelogFile, changelog);
  }
  const lines = [
    ...sections.map((section) => `wrote ${section.slice(0, section.indexOf('\n'))}`),
    ...skipped.map((why) => `not written: ${why}`),
  ];
  console.log(
    `\n${changelogFile}:\n${lines.join('\n') || 'nothing to write: no service has changes'}`,
  );
}

const failures = gateFailures(diffs, changelog);
console.log(
  failures.length === 0
    ? '\nThe gate passes: no breaking change without a new major version and its CHANGELOG.md section.'
    : `\nThe gate fails:\n${failures.join('\n')}`,
);
process.exitCode = failures.length === 0 ? 0 : 1;
