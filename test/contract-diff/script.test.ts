import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalog, post } from './fixtures.ts';
import { repository } from './repository.ts';

const tsx = resolve('node_modules/.bin/tsx');
const script = resolve('scripts/contract-diff.ts');

/** A repository whose release v1.0.0 lists TASK_NOT_FOUND on POST /tasks, then drops it. */
function droppedCode(version: string) {
  const repo = repository();
  repo.write('generated/demo/openapi.yaml', post({ 'x-errors': ['TASK_NOT_FOUND'] }).document);
  repo.write('openapi/demo/errors.yaml', catalog().catalog);
  repo.write('CHANGELOG.md', '# Changelog\n\nThe format.\n');
  repo.commit('release');
  repo.git('tag', 'v1.0.0');
  const document = post({ 'x-errors': [] }).document ?? {};
  repo.write('generated/demo/openapi.yaml', { ...document, info: { version } });
  return repo;
}

const run = (cwd: string, ...args: string[]) =>
  spawnSync(tsx, [script, ...args], { cwd, encoding: 'utf8' });

describe('npm run contract:diff', () => {
  it('prints each change with its class and rule, and the gate failing', () => {
    const repo = droppedCode('1.0.0');
    const { status, stdout } = run(repo.root);
    expect(stdout).toContain('The working tree against v1.0.0 (the latest v* tag)');
    expect(stdout).toContain(
      'demo 1.0.0: 1 breaking, 0 warning, 0 safe\n  breaking  POST /tasks no longer lists error TASK_NOT_FOUND (807) [removed error code]',
    );
    expect(stdout).toContain(
      'The gate fails:\ndemo: POST /tasks no longer lists error TASK_NOT_FOUND (807) [removed error code] — breaking; bump info.version to 2.0.0 and add "## demo 2.0.0" to CHANGELOG.md',
    );
    expect(status).toBe(1);
  });

  it('writes the section of a new major version with --changelog, and then the gate passes', () => {
    const repo = droppedCode('2.0.0');
    const { status, stdout } = run(repo.root, '--changelog');
    expect(stdout).toContain('CHANGELOG.md:\nwrote ## demo 2.0.0');
    expect(stdout).toContain('The gate passes');
    expect(status).toBe(0);
    const changelog = readFileSync(join(repo.root, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(
      /^# Changelog\n\nThe format\.\n\n## demo 2\.0\.0\n\n\d{4}-\d\d-\d\d, against v1\.0\.0 \(demo 1\.0\.0\)\.\n\n### Breaking\n\n- POST \/tasks no longer lists error TASK_NOT_FOUND \(807\) \(removed error code\)\n$/,
    );
    expect(run(repo.root, '--changelog').stdout).toContain(
      'not written: demo: CHANGELOG.md has "## demo 2.0.0" already',
    );
  });

  it('compares with the ref it is given', () => {
    const repo = droppedCode('1.0.0');
    repo.commit('the code dropped');
    expect(run(repo.root, 'HEAD').stdout).toContain('demo 1.0.0: no changes');
    expect(run(repo.root, 'HEAD~1').stdout).toContain('1 breaking');
    const unknown = run(repo.root, 'v9');
    expect(unknown.stderr).toContain(
      'Nothing to compare with: v9 names no commit of this repository.',
    );
    expect(unknown.status).toBe(1);
  });
});
