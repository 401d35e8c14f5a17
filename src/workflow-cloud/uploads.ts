import { randomBytes } from 'node:crypto';
import { isObjectStoreError, type ObjectStore } from '../object-store/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { ReceivedFile } from '../platform/uploads.ts';
import type { Caller } from './accounts.ts';
import type { Db } from './database.ts';
import { WorkflowCloudError } from './errors.ts';
import { uploadPrefix } from './workflows.ts';

const extensions: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'audio/mpeg': 'mp3',
};

/** The extension of an upload's name: the file's own when it is plain, else its media type's. */
function extensionOf(file: ReceivedFile): string {
  const own = /\.([a-z0-9]{1,5})$/i.exec(file.filename)?.[1]?.toLowerCase();
  return own ?? extensions[file.contentType] ?? 'bin';
}

/**
 * Stores a caller's file in the object store, then records it as theirs: a store that fails
 * answers 808 with nothing recorded, and a record that fails takes the stored file back.
 */
export function createUploads(db: Db, store: ObjectStore, clock: Clock) {
  return async function upload(caller: Caller, file: ReceivedFile, fileType: string) {
    const fileName = `${uploadPrefix}${randomBytes(8).toString('hex')}.${extensionOf(file)}`;
    try {
      await store.put(fileName, file.bytes, file.contentType);
    } catch (error) {
      if (isObjectStoreError(error)) {
        throw new WorkflowCloudError('APIKEY_UPLOAD_FAILED', undefined, { cause: error });
      }
      throw error;
    }
    try {
      await db
        .insertInto('uploads')
        .values({
          file_name: fileName,
          account_id: caller.account.id,
          file_type: fileType,
          content_type: file.contentType,
          size: file.bytes.length,
          created_at: clock.now().toISOString(),
        })
        .execute();
    } catch (error) {
      await store.delete(fileName).catch(() => undefined);
      throw error;
    }
    return { fileName, fileType };
  };
}
