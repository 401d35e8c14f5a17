import { randomBytes } from 'node:crypto';
import { isObjectStoreError, type ObjectStore } from '../object-store/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { ReceivedFile } from '../platform/uploads.ts';
import type { Caller } from './accounts.ts';
import type { Db } from './database.ts';
import { WorkflowCloudError } from './errors.ts';
import { uploadPrefix } from './workflows.ts';

/** The media types an upload may have (the document's), with the extension each is stored under. */
export const uploadTypes: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'audio/mpeg': 'mp3',
  'application/octet-stream': 'bin',
};

/**
 * Stores a caller's file in the object store, then records it as theirs: a store that fails
 * answers 808 with nothing recorded, and a record that fails takes the stored file back.
 */
export function createUploads(db: Db, store: ObjectStore, clock: Clock) {
  return async function upload(caller: Caller, file: ReceivedFile, fileType: string) {
    // The extension follows the accepted media type, never the client's file name: the store
    // serves each file as what it is.
    const extension = uploadTypes[file.contentType] ?? 'bin';
    const fileName = `${uploadPrefix}${randomBytes(8).toString('hex')}.${extension}`;
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
