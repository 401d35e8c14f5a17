import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** A git repository in a temporary directory, for refs the project's own history may lack. */
export interface Repository {
  root: string;
  git: (...args: string[]) => string;
  /** Writes a file of the working tree: YAML for anything but a string. */
  write: (path: string, content: unknown) => void;
  remove: (path: string) => void;
  commit: (message: string) => void;
}

// Commits need a name whatever the machine's git config says.
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.org',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.org',
};

export function repository(branch = 'main'): Repository {
  const root = mkdtempSync(join(tmpdir(), 'contract-diff-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, env, encoding: 'utf8', stdio: 'pipe' }).trim();
  git('init', '--quiet', '--initial-branch', branch);
  return {
    root,
    git,
    write: (path, content) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), typeof content === 'string' ? content : stringify(content));
    },
    remove: (path) => rmSync(join(root, path)),
    commit: (message) => {
      git('add', '--all');
      git('commit', '--quiet', '--allow-empty', '--message', message);
    },
  };
}
