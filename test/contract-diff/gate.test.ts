import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { gateFailures } from '../../src/contract-diff/gate.ts';
import { defaultBase } from '../../src/contract-diff/git.ts';
import { diffWorkingTree } from '../../src/contract-diff/working-tree.ts';

// The breaking-change gate: the working tree's contracts against the latest release (v* tag),
// or on a branch where it left main. `npm run contract:diff` shows every change it weighed.

const base = defaultBase('.');

describe('the breaking-change gate', () => {
  it('lets a breaking change through only with a new major version and its CHANGELOG.md section', () => {
    if ('skipped' in base) {
      // biome-ignore lint/suspicious/noConsole: a gate that cannot run says why, and passes
      console.info(`breaking-change gate skipped: ${base.skipped}`);
      return;
    }
    const changelog = existsSync('CHANGELOG.md') ? readFileSync('CHANGELOG.md', 'utf8') : '';
    const failures = gateFailures(diffWorkingTree('.', base.ref), changelog);
    if (failures.length > 0) {
      const count =
        failures.length === 1 ? 'a breaking change' : `${failures.length} breaking changes`;
      const against = `against ${base.ref} (${base.reason})`;
      throw new Error(`${count} ${against}:\n${failures.join('\n')}`);
    }
  });
});
