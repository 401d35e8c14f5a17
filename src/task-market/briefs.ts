import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TaskMarketError } from './errors.ts';

/** Where task.md briefs live: one file per task under a directory. */
export interface BriefStorage {
  write(taskId: string, markdown: string): Promise<void>;
  read(taskId: string): Promise<string>;
}

export function fileBriefStorage(directory: string): BriefStorage {
  const file = (taskId: string) => join(directory, `${taskId}.md`);
  const failed = (taskId: string, operation: string, error: unknown) =>
    new TaskMarketError('STORAGE_ERROR', { task_id: taskId, operation }, { cause: error });
  return {
    async write(taskId, markdown) {
      try {
        await mkdir(directory, { recursive: true });
        await writeFile(file(taskId), markdown, 'utf8');
      } catch (error) {
        throw failed(taskId, 'write', error);
      }
    },
    async read(taskId) {
      try {
        return await readFile(file(taskId), 'utf8');
      } catch (error) {
        throw failed(taskId, 'read', error);
      }
    },
  };
}
