import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redocly } from '../../src/build/redocly.ts';

/** test/platform/fixture/: the fixture service's catalog, document, redocly.yaml and handlers. */
export const fixtureDir = fileURLToPath(new URL('./fixture/', import.meta.url));

/** What the bundle is made from: the fixture's sources and the plugin with what it imports. */
const sourceDirs = [
  fixtureDir,
  fileURLToPath(new URL('../../src/redocly/', import.meta.url)),
  fileURLToPath(new URL('../../src/catalog/', import.meta.url)),
  fileURLToPath(new URL('../../openapi/errors.schema.json', import.meta.url)),
];

let bundled: Promise<string> | undefined;

/**
 * Bundles the fixture's document with the project's Redocly plugin (its x-errors expanded, the
 * catalog dropped), as `npm run build` bundles a service's, and answers the bundled file's path.
 * The bundle is made once per test file, and kept under the temporary directory by a hash of
 * its sources, so the other test files of the run reuse it.
 */
export function bundleFixture(): Promise<string> {
  bundled ??= bundle();
  return bundled;
}

async function bundle(): Promise<string> {
  const dir = join(tmpdir(), `fixture-bundle-${sourcesHash()}`);
  const file = join(dir, 'openapi.yaml');
  if (existsSync(file)) {
    return file;
  }
  mkdirSync(dir, { recursive: true });
  const staging = join(mkdtempSync(join(dir, 'staging-')), 'openapi.yaml');
  const run = await redocly(fixtureDir, ['bundle', 'fixture', '--output', staging]);
  if (!run.ok) {
    throw new Error(`bundling the fixture failed:\n${run.output}`);
  }
  // Whole or not at all, even with another test file bundling at the same time.
  renameSync(staging, file);
  return file;
}

function sourcesHash(): string {
  const hash = createHash('sha256');
  for (const source of sourceDirs) {
    const files = source.endsWith('/')
      ? readdirSync(source, { recursive: true, encoding: 'utf8' })
          .filter((name) => /\.(ya?ml|js|json)$/.test(name))
          .sort()
          .map((name) => join(source, name))
      : [source];
    for (const path of files) {
      hash.update(relative(fixtureDir, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  }
  return hash.digest('hex').slice(0, 16);
}
