import { execFileSync } from 'node:child_process';

/** What the working tree is compared with: a ref and why it was chosen, or why there is none. */
export type Base = { ref: string; reason: string } | { skipped: string };

function git(root: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
}

function succeeds(root: string, args: string[]): string | undefined {
  try {
    return git(root, args).trim();
  } catch {
    return undefined;
  }
}

/** Whether `ref` names a commit this clone has (a shallow clone may lack a tag's). */
export function commitExists(root: string, ref: string): boolean {
  return succeeds(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) !== undefined;
}

/**
 * The latest release (`v*` tag, by version order), else the merge base with `main`: on `main`
 * itself that is HEAD, so only what is not committed yet is compared.
 */
export function defaultBase(root: string): Base {
  if (succeeds(root, ['rev-parse', '--git-dir']) === undefined) {
    return { skipped: `${root} is not in a git repository (or git is missing)` };
  }
  // Releases this branch descends from only (another branch's later tag would make what this one
  // never had look removed), a pre-release below its release (v1.0.0-rc.1 < v1.0.0).
  const tags =
    succeeds(root, [
      '-c',
      'versionsort.suffix=-',
      'tag',
      '--list',
      'v*',
      '--merged',
      'HEAD',
      '--sort=-v:refname',
    ]) ?? '';
  const tag = tags.split('\n').find((name) => /^v\d/.test(name) && commitExists(root, name));
  if (tag) {
    return { ref: tag, reason: 'the latest v* tag' };
  }
  for (const branch of ['main', 'origin/main']) {
    const base = succeeds(root, ['merge-base', 'HEAD', branch]);
    if (base) {
      const ref = git(root, ['rev-parse', '--short', base]).trim();
      return { ref, reason: `the merge base with ${branch}, no v* tag` };
    }
  }
  return {
    skipped:
      'no v* tag, and no merge base with main (no main branch, or a shallow clone without its history)',
  };
}

/** The files under `paths` at `ref`. */
export function filesAt(root: string, ref: string, paths: string[]): string[] {
  return git(root, ['ls-tree', '-r', '--name-only', ref, '--', ...paths])
    .split('\n')
    .filter(Boolean);
}

/** A file's text at `ref`. */
export function readAt(root: string, ref: string, path: string): string {
  // `./`: relative to the working directory, as ls-tree lists it (the package may be a subfolder).
  return git(root, ['show', `${ref}:./${path}`]);
}
