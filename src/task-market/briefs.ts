import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { uuidv7 } from '../platform/ids.ts';
import { TaskMarketError } from './errors.ts';

/**
 * Where task.md briefs live. Each version of a brief is a file of its own, written aside under a
 * new name; a task's row names the version it shows (`brief_file`), so a version is published
 * by the commit that points the row at it, and the version it replaced is removed after.
 */
export interface BriefStorage {
  /** Writes a new version of a task's brief and returns its file name; nothing points at it yet. */
  write(taskId: string, markdown: string): Promise<string>;
  /** The version in `file`, or `undefined` when that file is gone (replaced, or removed). */
  read(taskId: string, file: string): Promise<string | undefined>;
  /** Removes a version; one already gone is no error. */
  remove(taskId: string, file: string): Promise<void>;
}

export function fileBriefStorage(directory: string): BriefStorage {
  // A name the store made: never a path, whatever a row holds.
  const path = (file: string) => join(directory, basename(file));
  const failed = (taskId: string, operation: string, error: unknown) =>
    new TaskMarketError('STORAGE_ERROR', { task_id: taskId, operation }, { cause: error });
  return {
    async write(taskId, markdown) {
      const file = `${taskId}.${uuidv7()}.md`;
      try {
        await mkdir(directory, { recursive: true });
        await writeFile(path(file), markdown, { encoding: 'utf8', flag: 'wx' });
      } catch (error) {
        throw failed(taskId, 'write', error);
      }
      return file;
    },
    async read(taskId, file) {
      try {
        return await readFile(path(file), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return undefined;
        }
        throw failed(taskId, 'read', error);
      }
    },
    async remove(taskId, file) {
      try {
        await unlink(path(file));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw failed(taskId, 'delete', error);
        }
      }
    },
  };
}
