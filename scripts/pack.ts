// npm run pack [-- --out <dir>]: the installable packages, as tarballs in dist/packages (emptied
// first). @api-contracts/client: the typed clients compiled to ESM with their .d.ts, a subpath
// per service plus its types, error table and document; openapi-fetch its only dependency.
// @api-contracts/mock: the mock bundled into one dependency-free file, with its bin, the
// documents, catalogs and docs it serves, in the repository's layout.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Metafile, type Plugin } from 'esbuild';
import { runCommand } from '../src/build/command.ts';
import { type BuiltService, builtServices } from '../src/build/services.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
};

/** The names of the two packages. */
export const packageNames = { client: '@api-contracts/client', mock: '@api-contracts/mock' };

/** The command the mock package installs. */
export const mockBin = 'api-contracts-mock';

/**
 * Native modules: they cannot be bundled, and a consumer installs none, so the mock must never
 * load one. The bundle leaves them as imports, then the build fails if any is left.
 */
const nativeModules = ['better-sqlite3'];

/** One tarball `npm pack` wrote. */
export interface Tarball {
  name: string;
  file: string;
  /** Bytes of the tarball. */
  size: number;
  files: string[];
}

/** Builds both packages into `out`, emptied first, and answers their tarballs. */
export async function pack(out = join(root, 'dist', 'packages')): Promise<Tarball[]> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), 'api-contracts-pack-'));
  try {
    const services = builtServices(root);
    const client = join(staging, 'client');
    const mock = join(staging, 'mock');
    await stageClient(client, services);
    await stageMock(mock, services);
    return [await npmPack(client, out), await npmPack(mock, out)];
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The client package: tsc compiles src/client (and what it imports: the catalog's envelopes, the
 * generated error tables) in the repository's layout; the .d.ts sources it does not emit, and the
 * bundled documents, are copied beside.
 */
async function stageClient(dir: string, all: readonly BuiltService[]) {
  const services = all.filter(({ service }) =>
    existsSync(join(root, 'src/client', `${service}.ts`)),
  );
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', join(root, 'tsconfig.client.json'), '--outDir', dir]);
  copy('src/catalog/types.d.ts', dir);
  for (const { service } of services) {
    copy(`generated/${service}/schema.d.ts`, dir);
    copy(`generated/${service}/openapi.yaml`, dir);
  }
  rewriteDeclarationImports(dir);
  const exports: Record<string, unknown> = { './package.json': './package.json' };
  for (const { service } of services) {
    exports[`./${service}`] = {
      types: `./src/client/${service}.d.ts`,
      import: `./src/client/${service}.js`,
    };
    exports[`./${service}/schema`] = { types: `./generated/${service}/schema.d.ts` };
    exports[`./${service}/errors`] = {
      types: `./generated/${service}/errors.d.ts`,
      import: `./generated/${service}/errors.js`,
    };
    exports[`./${service}/openapi.yaml`] = `./generated/${service}/openapi.yaml`;
  }
  writeManifest(dir, {
    name: packageNames.client,
    description: `Typed openapi-fetch clients of ${services.map((s) => s.service).join(', ')}`,
    sideEffects: false,
    exports,
    files: ['src/', 'generated/'],
    dependencies: { 'openapi-fetch': dependencyVersion('openapi-fetch') },
  });
}

/**
 * tsc rewrites `.ts` import paths in the JavaScript only; the .d.ts keep `./core.ts`, which
 * TypeScript before 5.0 refuses. `./core.js` resolves to core.d.ts in every module resolution.
 */
function rewriteDeclarationImports(dir: string) {
  const relativeTs = /(\bfrom\s*|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]*?)(?:\.d)?\.ts\2/g;
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  for (const file of files.filter((name) => name.endsWith('.d.ts'))) {
    const path = join(dir, file);
    const source = readFileSync(path, 'utf8');
    writeFileSync(path, source.replace(relativeTs, '$1$2$3.js$2'));
  }
}

/**
 * The mock package: mocks/main.ts and everything it imports, node_modules included (so the
 * patched dependencies are what ships), in one file at mocks/main.js; beside it, as in the
 * repository, the documents, the catalogs (and their schema, which loading one checks against)
 * and the docs it serves at /docs.
 */
async function stageMock(dir: string, services: readonly BuiltService[]) {
  await bundleMock(dir);
  copy('openapi/errors.schema.json', dir);
  for (const { service } of services) {
    copy(`generated/${service}/openapi.yaml`, dir);
    copy(`openapi/${service}/errors.yaml`, dir);
  }
  // Built fresh, never taken from dist/docs: a package must not ship docs older than its
  // documents (about 10 s), and a clean clone has none.
  await run('npm', ['run', 'docs', '--', '--out', join(dir, 'dist', 'docs')]);
  writeManifest(dir, {
    name: packageNames.mock,
    description: 'The mock of every api-contracts document: Prefer: example=<CODE>',
    bin: { [mockBin]: 'mocks/main.js' },
    exports: { './package.json': './package.json' },
    files: ['mocks/', 'generated/', 'openapi/', 'dist/docs/'],
  });
}

/** Bundles mocks/main.ts into `<dir>/mocks/main.js`: ESM for Node 20, no dependencies left. */
async function bundleMock(dir: string) {
  const entry = join(root, 'mocks', 'main.ts');
  const outfile = join(dir, 'mocks', 'main.js');
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: nativeModules,
    // CommonJS dependencies call require(), which an ES module does not have.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    plugins: [moduleUrlPlugin(dirname(entry))],
    metafile: true,
    logLevel: 'warning',
  });
  const native = nativeImports(result.metafile);
  if (native.length > 0) {
    throw new Error(
      `the mock bundle imports native modules a consumer does not have: ${native.join(', ')}; ` +
        'the mock must not reach the database code (src/platform/db.ts and what imports it)',
    );
  }
}

/** The native modules the bundle still imports, statically or dynamically, and who imports them. */
function nativeImports(metafile: Metafile): string[] {
  const found: string[] = [];
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const { path } of imports) {
      if (nativeModules.some((name) => path === name || path.startsWith(`${name}/`))) {
        found.push(`${path} (from ${input})`);
      }
    }
  }
  return found;
}

/**
 * Gives each project module the `import.meta.url` it would have in the package, where the
 * repository's layout is kept: bundled, every module would otherwise see the bundle's own URL
 * (mocks/main.js), and `new URL('../../openapi/errors.schema.json', import.meta.url)` in
 * src/catalog/check.js would point outside the package. `entryDir` is the bundle's directory,
 * mirrored.
 */
function moduleUrlPlugin(entryDir: string): Plugin {
  return {
    name: 'module-url',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) {
          return undefined;
        }
        const source = readFileSync(args.path, 'utf8');
        if (/import\.meta\.(dirname|filename)/.test(source)) {
          throw new Error(`${args.path}: use import.meta.url; the bundle maps only that`);
        }
        if (!source.includes('import.meta.url')) {
          return undefined;
        }
        const path = relative(entryDir, args.path).split(sep).join('/');
        const url = `new URL(${JSON.stringify(path)}, import.meta.url).href`;
        const loader = /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js';
        return { contents: source.replaceAll('import.meta.url', url), loader };
      });
    },
  };
}

/** Copies a file of the repository to the same relative path under `dir`. */
function copy(path: string, dir: string) {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  cpSync(join(root, path), join(dir, path));
}

/** The exact version the root package.json pins for a dependency the client ships with. */
function dependencyVersion(name: string): string {
  const version = rootManifest.dependencies[name];
  if (!version) {
    throw new Error(`package.json has no dependency ${name}`);
  }
  return version;
}

function writeManifest(dir: string, fields: Record<string, unknown>) {
  const { name, description, ...rest } = fields;
  const manifest = {
    name,
    version: rootManifest.version,
    description,
    type: 'module',
    license: 'UNLICENSED',
    engines: rootManifest.engines,
    ...rest,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** `npm pack` of a staged package into `out`. */
async function npmPack(dir: string, out: string): Promise<Tarball> {
  const output = await run('npm', ['pack', dir, '--pack-destination', out, '--json']);
  const [packed] = JSON.parse(output.slice(output.indexOf('['))) as {
    name: string;
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  if (!packed) {
    throw new Error(`npm pack ${dir} wrote nothing:\n${output}`);
  }
  return {
    name: packed.name,
    file: join(out, packed.filename),
    size: packed.size,
    files: packed.files.map(({ path }) => path),
  };
}

/**
 * Environment for npm in another directory: without what `npm run` sets for this project, or
 * npm would work on the repository (npm_config_local_prefix) instead of the directory it is in.
 */
export function npmEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_(package_|lifecycle_|command$|config_local_prefix$)/.test(key),
    ),
  );
}

/** Runs a command to its end; answers its stdout, throws with its output when it fails. */
async function run(command: string, args: string[]): Promise<string> {
  const done = await runCommand(command, args, { cwd: root, env: npmEnvironment() });
  if (done.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${done.code}):\n${done.output}`);
  }
  return done.stdout;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const started = performance.now();
  const tarballs = await pack(values.out ? resolve(values.out) : undefined);
  for (const { name, file, size, files } of tarballs) {
    console.log(`${name}: ${file} (${(size / 1024).toFixed(0)} KiB, ${files.length} files)`);
  }
  console.log(`packed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
