import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: every temporary directory the tests make (databases, builds, docs) goes
 * under one root, removed when the run ends. Test workers start after this and inherit TMPDIR.
 */
export default function setup() {
  const root = mkdtempSync(join(tmpdir(), 'api-contracts-test-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
