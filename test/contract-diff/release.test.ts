import { describe, expect, it } from 'vitest';
import {
  changelogSection,
  changelogSections,
  hasSection,
  insertSections,
  newSections,
} from '../../src/contract-diff/changelog.ts';
import type { ServiceDiff } from '../../src/contract-diff/diff.ts';
import { gateFailures } from '../../src/contract-diff/gate.ts';
import type { Change } from '../../src/contract-diff/rules.ts';

const removed: Change = {
  kind: 'error-code-removed',
  scope: 'POST /task/openapi/status',
  subject: 'APIKEY_TASK_NOT_FOUND (807)',
};
const added: Change = { kind: 'operation-added', scope: 'POST /tasks', subject: 'POST /tasks' };

const diff = (after: string, ...changes: Change[]): ServiceDiff => ({
  service: 'workflow-cloud',
  before: '1.3.0',
  after,
  changes,
});

const preamble = '# Changelog\n\nWhat changed.\n';
const withEntry = (version: string) =>
  `${preamble}\n## workflow-cloud ${version}\n\nDropped 807.\n`;

describe('the gate', () => {
  it('names the service, the change, its rule, the version to bump to and the section to add', () => {
    expect(gateFailures([diff('1.3.0', removed, added)], preamble)).toEqual([
      'workflow-cloud: POST /task/openapi/status no longer lists error APIKEY_TASK_NOT_FOUND (807) [removed error code] — breaking; bump info.version to 2.0.0 and add "## workflow-cloud 2.0.0" to CHANGELOG.md',
    ]);
  });

  it('asks for the section alone once the major version is new', () => {
    expect(gateFailures([diff('2.0.0', removed)], preamble)).toEqual([
      expect.stringMatching(/— breaking; add "## workflow-cloud 2.0.0" to CHANGELOG.md$/),
    ]);
    expect(gateFailures([diff('2.0.0', removed)], withEntry('1.4.0'))).toHaveLength(1);
  });

  it('passes a new major version with its section, and changes that break nothing', () => {
    expect(gateFailures([diff('2.0.0', removed)], withEntry('2.0.0'))).toEqual([]);
    expect(gateFailures([diff('3.1.0', removed)], withEntry('3.1.0'))).toEqual([]);
    expect(gateFailures([diff('1.3.0', added)], preamble)).toEqual([]);
  });

  it('does not take a minor version for a major one', () => {
    expect(gateFailures([diff('1.4.0', removed)], withEntry('1.4.0'))).toHaveLength(1);
  });
});

describe('CHANGELOG.md', () => {
  const text = `${preamble}
## workflow-cloud 2.0.0

Dropped 807.

### Breaking

- gone

## Notes

Not a release.

## podi 1.1.0

Added a route.
`;

  it('is read as one section per `## <service> <version>` heading', () => {
    expect(changelogSections(text)).toEqual([
      {
        service: 'workflow-cloud',
        version: '2.0.0',
        body: 'Dropped 807.\n\n### Breaking\n\n- gone',
      },
      { service: 'podi', version: '1.1.0', body: 'Added a route.' },
    ]);
    expect(hasSection(text, 'podi', '1.1.0')).toBe(true);
    expect(hasSection(text, 'podi', '2.0.0')).toBe(false);
  });

  it('gets a section of the changes by class, each with its rule', () => {
    expect(changelogSection(diff('2.0.0', added, removed), 'v1.3.0', '2026-05-04')).toBe(
      [
        '## workflow-cloud 2.0.0',
        '2026-05-04, against v1.3.0 (workflow-cloud 1.3.0).',
        '### Breaking',
        '- POST /task/openapi/status no longer lists error APIKEY_TASK_NOT_FOUND (807) (removed error code)',
        '### Safe',
        '- POST /tasks was added (new operation)',
      ].join('\n\n'),
    );
  });

  it('gets new sections first, after its preamble', () => {
    const inserted = insertSections(withEntry('2.0.0'), ['## podi 1.2.0\n\nMore.']);
    expect(inserted).toBe(
      `${preamble}\n## podi 1.2.0\n\nMore.\n\n## workflow-cloud 2.0.0\n\nDropped 807.\n`,
    );
    expect(insertSections(preamble, ['## podi 1.2.0'])).toBe(`${preamble}\n## podi 1.2.0\n`);
  });

  it('gets a section only for a new version, a new major one when something breaks', () => {
    const written = (version: string, changelog = preamble, ...changes: Change[]) =>
      newSections([diff(version, ...changes)], changelog, 'v1.3.0', '2026-05-04');
    expect(written('1.4.0', preamble, added).sections).toHaveLength(1);
    expect(written('2.0.0', preamble, removed).sections).toHaveLength(1);
    expect(written('1.4.0', preamble, removed).skipped).toEqual([
      'workflow-cloud: breaking changes need info.version 2.0.0 or later',
    ]);
    expect(written('1.3.0', preamble, added).skipped).toEqual([
      'workflow-cloud: info.version is still 1.3.0; a section names a new version',
    ]);
    expect(written('2.0.0', withEntry('2.0.0'), removed).skipped).toEqual([
      'workflow-cloud: CHANGELOG.md has "## workflow-cloud 2.0.0" already',
    ]);
    expect(written('2.0.0')).toEqual({ sections: [], skipped: [] });
  });
});
