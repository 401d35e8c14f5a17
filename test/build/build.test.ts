import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const tsx = resolve('node_modules/.bin/tsx');
const build = resolve('scripts/build.ts');

function runBuild(cwd: string, out: string) {
  const run = spawnSync(tsx, [build, '--out', out], { cwd, encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** A copy of the project's contracts in a temporary directory, to break on purpose. */
function copyProject(): string {
  const project = mkdtempSync(join(tmpdir(), 'build-'));
  cpSync('openapi', join(project, 'openapi'), { recursive: true });
  const config = readFileSync('redocly.yaml', 'utf8').replace(
    './src/redocly/plugin.js',
    resolve('src/redocly/plugin.js'),
  );
  writeFileSync(join(project, 'redocly.yaml'), config);
  return project;
}

function edit(file: string, from: string | RegExp, to: string) {
  const text = readFileSync(file, 'utf8');
  const edited = text.replace(from, to);
  expect(edited, `${file} contains ${from}`).not.toBe(text);
  writeFileSync(file, edited);
}

describe('npm run build', () => {
  it('rebuilds generated/ byte for byte (drift check)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'drift-')), 'generated');
    const run = runBuild('.', out);
    expect(run.status, run.output).toBe(0);
    expect(filesUnder(out)).toEqual(filesUnder('generated'));
    for (const file of filesUnder('generated')) {
      expect(
        readFileSync(join(out, file), 'utf8'),
        `generated/${file} is stale: run npm run build`,
      ).toBe(readFileSync(join('generated', file), 'utf8'));
    }
  });

  it('skips, by name, a service whose document does not exist yet', () => {
    const project = copyProject();
    rmSync(join(project, 'openapi', 'podi', 'openapi.yaml'));
    const run = runBuild(project, join(project, 'generated'));
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('- podi: skipped');
    const built = filesUnder(join(project, 'generated'));
    expect(built).not.toContain('podi/openapi.yaml');
    expect(built).toContain('task-market/openapi.yaml');
  });

  const paths = 'openapi/task-market/paths';
  const breaks = [
    {
      problem: 'an unknown x-errors code',
      file: `${paths}/tasks_{taskId}_claim.yaml`,
      from: '    - TASK_EXPIRED\n',
      to: '    - TASK_EXPIRED\n    - TASK_VANISHED\n',
      says: 'x-errors: unknown code TASK_VANISHED',
    },
    {
      problem: 'a duplicate code',
      file: 'openapi/task-market/errors.yaml',
      from: /code: 40402/,
      to: 'code: 40401',
      says: 'duplicate code 40401: AGENT_NOT_FOUND and TASK_NOT_FOUND',
    },
    {
      problem: 'an unused catalog code',
      file: `${paths}/tasks_{taskId}_task.md.yaml`,
      from: '    - TASK_MD_NOT_FOUND\n',
      to: '',
      says: 'catalog code TASK_MD_NOT_FOUND is used by no operation',
    },
    {
      problem: 'an operation without x-errors',
      file: `${paths}/points.yaml`,
      from: /\n {2}x-errors:\n( {4}- \w+\n)+/,
      to: '\n',
      says: 'operation getPointsBalance has no x-errors',
    },
    {
      problem: 'an operation that lacks a code the platform answers it with',
      file: `${paths}/points.yaml`,
      from: '    - DATABASE_UNAVAILABLE\n',
      to: '',
      says: 'x-errors of getPointsBalance lacks DATABASE_UNAVAILABLE',
    },
    {
      problem: 'a platform role answered with a code the catalog lacks',
      file: 'openapi/task-market/errors.yaml',
      from: 'unknownPath: RESOURCE_NOT_FOUND',
      to: 'unknownPath: PATH_NOT_FOUND',
      says: 'unknownPath: PATH_NOT_FOUND is not an http or body code of the catalog',
    },
    {
      problem: 'a platform answer whose schema the document lacks',
      file: 'openapi/podi/openapi.yaml',
      from: '    HTTPStatusError:\n      $ref: components/schemas/HTTPStatusError.yaml\n',
      to: '',
      says: 'platform.bodyTooLarge: schema HTTPStatusError is not under components/schemas',
    },
    {
      problem: 'a security scheme without the code for missing credentials',
      file: 'openapi/bot-agent/openapi.yaml',
      from: '      x-missing-credentials: AUTHENTICATION_FAILED\n',
      to: '',
      says: 'security scheme bearerAuth has no x-missing-credentials',
    },
    {
      problem: 'an operation that lacks the code for missing credentials',
      file: `${paths}/points.yaml`,
      from: '    - AUTH_REQUIRED\n',
      to: '',
      says: 'x-errors of getPointsBalance lacks AUTH_REQUIRED, the answer to a request without bearerAuth credentials',
    },
    {
      problem: 'a field code without the field that carries it',
      file: 'openapi/podi/paths/tasks_{taskId}.yaml',
      from: '  x-error-field:\n    path: error_message\n',
      to: '  x-error-field:\n',
      says: 'x-errors: TASK_FAILED is carried by a field of the 200 answer',
    },
  ];

  it.each(breaks)('fails on $problem, naming it', ({ file, from, to, says }) => {
    const project = copyProject();
    edit(join(project, file), from, to);
    const run = runBuild(project, join(project, 'generated'));
    expect(run.status).toBe(1);
    expect(run.output).toContain(says);
    expect(filesUnder(project).some((name) => name.startsWith('generated/'))).toBe(false);
  });
});
