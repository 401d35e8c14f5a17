import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const tsx = resolve('node_modules/.bin/tsx');
const script = resolve('scripts/catalog-import.ts');

describe('npm run catalog:import', () => {
  it('writes openapi/<service>/errors.yaml and says what it did', () => {
    const project = mkdtempSync(join(tmpdir(), 'catalog-import-'));
    const table = resolve('test/fixtures/tables/web-copy.md');
    const output = execFileSync(tsx, [script, table, 'billing'], {
      cwd: project,
      encoding: 'utf8',
    });

    expect(output).toContain('3 codes read');
    expect(output).toContain('3 added, 0 updated, 0 unchanged');
    expect(output).toContain('to complete by hand');
    const catalog = parse(readFileSync(join(project, 'openapi/billing/errors.yaml'), 'utf8'));
    expect(catalog.wire.language).toBe('en');
    expect(catalog.errors.map((entry: { name: string }) => entry.name)).toEqual([
      'CARD_DECLINED',
      'INVOICE_NOT_FOUND',
      'INTERNAL_ERROR',
    ]);
  });

  it('rejects a call without a service', () => {
    const run = spawnSync(tsx, [script, 'seeds/podi.md'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: npm run catalog:import -- <table.md> <service>');
  });
});
