import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockBin, npmEnvironment, packageNames } from '../../scripts/pack.ts';
import { type CommandRun, runCommand } from '../../src/build/command.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const appSources = fileURLToPath(new URL('./app/', import.meta.url));
// The repository's TypeScript (5.9.3), by path: no download, and nothing of the repository's
// node_modules reaches the app, whose imports resolve from its own node_modules.
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** Runs a command to its end in `cwd`, with npm's settings for this project left out. */
const run = (command: string, args: string[], cwd: string) =>
  runCommand(command, args, { cwd, env: npmEnvironment() });

async function succeed(command: string, args: string[], cwd: string): Promise<CommandRun> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.output}`);
  }
  return result;
}

/** Starts the mock package's bin, on a port the system picks; answers its origin once it listens. */
function startMock(bin: string, cwd: string): { child: ChildProcess; origin: Promise<string> } {
  const child = spawn(process.execPath, [bin, '--port', '0', '--host', '127.0.0.1'], { cwd });
  let output = '';
  const origin = new Promise<string>((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk;
      const listening = /mock on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (listening?.[1]) {
        resolve(listening[1]);
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the mock exited (${code}):\n${output}`)));
  });
  return { child, origin };
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Every file under `dir`, relative, with / separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

const temporary: string[] = [];
const temporaryDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
};

let app = '';
let clientInstall: CommandRun;
let mockInstall: CommandRun;
let compiled: CommandRun;
let misspelled: CommandRun;
let mock: { child: ChildProcess; origin: Promise<string> } | undefined;
let origin = '';

beforeAll(async () => {
  const packages = temporaryDir('api-contracts-packages-');
  await succeed('npm', ['run', 'pack', '--', '--out', packages], root);
  const tarball = (name: string) =>
    join(packages, `${name.replace('@', '').replace('/', '-')}-${readVersion()}.tgz`);

  // Outside the repository, so nothing resolves from its node_modules.
  app = temporaryDir('api-contracts-consumer-');
  cpSync(appSources, app, { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  const install = ['install', '--no-audit', '--no-fund', '--no-update-notifier'];
  clientInstall = await succeed('npm', [...install, tarball(packageNames.client)], app);
  mockInstall = await succeed('npm', [...install, tarball(packageNames.mock)], app);
  process.stdout.write(
    `packages: client installed in ${(clientInstall.milliseconds / 1000).toFixed(1)} s, ` +
      `mock in ${(mockInstall.milliseconds / 1000).toFixed(1)} s\n`,
  );

  // The mock starts (in a directory of its own: it must not need the working directory) while
  // tsc checks the app and, when it passes, writes build/ for plain Node.
  mock = startMock(join(app, 'node_modules/.bin', mockBin), temporaryDir('api-contracts-cwd-'));
  [compiled, misspelled, origin] = await Promise.all([
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], app),
    run(process.execPath, [tsc, '-p', 'tsconfig.misspelled.json'], app),
    mock.origin,
  ]);
}, 300_000);

afterAll(async () => {
  await stop(mock?.child);
  for (const dir of temporary) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function readVersion(): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
    .version;
}

const installed = (name: string) => join(app, 'node_modules', name);
const manifest = (name: string) =>
  JSON.parse(readFileSync(join(installed(name), 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };

describe('the client package', () => {
  it('installs in under 10 s, with openapi-fetch its only dependency', () => {
    expect(clientInstall.milliseconds).toBeLessThan(10_000);
    expect(manifest(packageNames.client).dependencies).toEqual({ 'openapi-fetch': '0.16.0' });
    // Nothing else came in but what openapi-fetch itself needs.
    const fetchDependencies = Object.keys(manifest('openapi-fetch').dependencies ?? {});
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    const names = Object.keys(lock.packages)
      .filter((path) => path !== '')
      .map((path) => path.replace(/^.*node_modules\//, ''));
    expect(names.sort()).toEqual(
      [...Object.values(packageNames), 'openapi-fetch', ...fetchDependencies].sort(),
    );
  });

  it('holds the compiled clients, their types, error tables and documents, and nothing else', () => {
    const files = filesUnder(installed(packageNames.client));
    expect(files).toContain('src/client/task-market.js');
    expect(files).toContain('src/client/task-market.d.ts');
    expect(files).toContain('generated/task-market/schema.d.ts');
    expect(files).toContain('generated/task-market/errors.js');
    expect(files).toContain('generated/task-market/openapi.yaml');
    const unexpected = files.filter(
      (file) => file !== 'package.json' && !/^(src|generated)\/.+\.(js|d\.ts|yaml)$/.test(file),
    );
    expect(unexpected).toEqual([]);
  });

  it('type-checks an app with strict and exactOptionalPropertyTypes, without skipLibCheck', () => {
    expect(compiled.output).toBe('');
    expect(compiled.code).toBe(0);
  });

  it('refuses a misspelled code name at compile time', () => {
    expect(misspelled.code).not.toBe(0);
    // One error, on the misspelled name: the rest of the file is right.
    expect(misspelled.output.match(/error TS/g)).toHaveLength(1);
    expect(misspelled.output).toMatch(
      /^src\/misspelled\.ts\(\d+,\d+\): error TS\d+: .*"TASK_NOT_FOUNDD"/,
    );
  });

  it('runs under plain Node against the mock package, asking for an error with Prefer', async () => {
    const { output } = await succeed(process.execPath, ['main.mjs', origin], app);
    expect(JSON.parse(output)).toEqual({
      title: 'Summarise three papers on retrieval-augmented generation',
      status: 404,
      code: 40401,
      documentedStatus: 404,
      service: 'task-market',
      documentTitle: 'Task market API',
    });
  });

  it('bundles with Vite for the browser', async () => {
    const { build } = await import('vite');
    const outDir = join(app, 'vite-dist');
    await build({
      root: app,
      configFile: false,
      logLevel: 'silent',
      build: {
        outDir,
        minify: false,
        lib: { entry: join(app, 'src/app.ts'), formats: ['es'], fileName: 'app' },
      },
    });
    const bundle = readFileSync(join(outDir, 'app.js'), 'utf8');
    expect(bundle).toContain('TASK_NOT_FOUND');
    expect(bundle).not.toMatch(/from ["']node:|require\(/);
  });
});

describe('the mock package', () => {
  it('installs with no dependency', () => {
    expect(manifest(packageNames.mock).dependencies).toBeUndefined();
  });

  it('serves the documents, errors asked for by name, and the docs, from its own files', async () => {
    const notFound = await fetch(
      `${origin}/task-market/tasks/660e8400-e29b-41d4-a716-446655440002`,
      {
        headers: { authorization: 'Bearer mock', prefer: 'example=TASK_NOT_FOUND' },
      },
    );
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({ code: 40401 });
    for (const page of ['/docs', '/docs/task-market', '/docs/podi/errors']) {
      const answer = await fetch(`${origin}${page}`);
      expect(answer.status, page).toBe(200);
      expect(answer.headers.get('content-type'), page).toContain('text/html');
    }
    const document = await fetch(`${origin}/openapi/divination.yaml`);
    expect(document.status).toBe(200);
    expect(await document.text()).toContain('openapi: 3.1');
  });
});
