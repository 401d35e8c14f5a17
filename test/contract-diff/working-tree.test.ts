import { describe, expect, it } from 'vitest';
import { diffWorkingTree } from '../../src/contract-diff/working-tree.ts';
import { catalog, post } from './fixtures.ts';
import { repository } from './repository.ts';

const kinds = (root: string, ref: string) =>
  diffWorkingTree(root, ref).map(({ service, changes }) => [service, changes.map((c) => c.kind)]);

describe('diffWorkingTree', () => {
  it('compares each service of the working tree with its files at the ref', () => {
    const repo = repository();
    repo.write('generated/demo/openapi.yaml', post({ 'x-errors': ['TASK_NOT_FOUND'] }).document);
    repo.write('openapi/demo/errors.yaml', catalog().catalog);
    repo.write('generated/gone/openapi.yaml', post({}).document);
    repo.commit('release');
    repo.write('generated/demo/openapi.yaml', post({ 'x-errors': [] }).document);
    repo.write('generated/fresh/openapi.yaml', post({}).document);
    repo.remove('generated/gone/openapi.yaml');
    expect(kinds(repo.root, 'HEAD')).toEqual([
      ['demo', ['error-code-removed']],
      ['fresh', ['operation-added']],
      ['gone', ['operation-removed']],
    ]);
  });

  it('reads the catalog at the ref for the codes a working tree no longer has', () => {
    const repo = repository();
    repo.write('openapi/demo/errors.yaml', catalog().catalog);
    repo.commit('release');
    repo.write('openapi/demo/errors.yaml', { ...catalog().catalog, errors: [] });
    const [demo] = diffWorkingTree(repo.root, 'HEAD');
    expect(demo?.changes).toEqual([
      { kind: 'catalog-code-removed', scope: 'catalog', subject: 'TASK_NOT_FOUND (807)' },
    ]);
  });

  it('gives each service its document version at the ref and now', () => {
    const repo = repository();
    repo.write('generated/demo/openapi.yaml', post({}).document);
    repo.commit('release');
    const document = post({}).document ?? {};
    repo.write('generated/demo/openapi.yaml', { ...document, info: { version: '2.0.0' } });
    expect(diffWorkingTree(repo.root, 'HEAD')).toEqual([
      { service: 'demo', before: '1.0.0', after: '2.0.0', changes: [] },
    ]);
  });
});
