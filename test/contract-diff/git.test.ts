import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultBase } from '../../src/contract-diff/git.ts';
import { repository } from './repository.ts';

describe('the default base', () => {
  it('is the latest v* tag, by version order', () => {
    const repo = repository();
    for (const tag of ['v1.2.0', 'v1.10.0', 'v1.9.0']) {
      repo.commit(tag);
      repo.git('tag', tag);
    }
    repo.commit('after the releases');
    repo.git('tag', 'vnext');
    expect(defaultBase(repo.root)).toEqual({ ref: 'v1.10.0', reason: 'the latest v* tag' });
  });

  it('is a release this branch descends from, a pre-release below its release', () => {
    const repo = repository();
    repo.commit('first');
    repo.git('tag', 'v1.0.0-rc.1');
    repo.git('tag', 'v1.0.0');
    repo.git('checkout', '--quiet', '-b', 'feature');
    repo.commit('on the branch');
    repo.git('checkout', '--quiet', 'main');
    repo.commit('on main');
    repo.git('tag', 'v2.0.0');
    repo.git('checkout', '--quiet', 'feature');
    expect(defaultBase(repo.root)).toEqual({ ref: 'v1.0.0', reason: 'the latest v* tag' });
  });

  it('is the merge base with main without a tag: HEAD itself on main', () => {
    const repo = repository();
    repo.commit('first');
    expect(defaultBase(repo.root)).toEqual({
      ref: repo.git('rev-parse', '--short', 'HEAD'),
      reason: 'the merge base with main, no v* tag',
    });
  });

  it('is where a branch left main', () => {
    const repo = repository();
    repo.commit('first');
    const fork = repo.git('rev-parse', '--short', 'HEAD');
    repo.git('checkout', '--quiet', '-b', 'feature');
    repo.commit('on the branch');
    expect(defaultBase(repo.root)).toMatchObject({ ref: fork });
  });

  it('is skipped, with why, without main or a tag', () => {
    const repo = repository('trunk');
    repo.commit('first');
    expect(defaultBase(repo.root)).toEqual({
      skipped: expect.stringContaining('no v* tag, and no merge base with main'),
    });
  });

  it('is skipped, with why, outside a git repository', () => {
    const root = mkdtempSync(join(tmpdir(), 'no-git-'));
    expect(defaultBase(root)).toEqual({
      skipped: expect.stringContaining('not in a git repository'),
    });
  });
});
