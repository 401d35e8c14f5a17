import type { operations } from '../../../generated/divination/schema.d.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Handlers } from '../../platform/handlers.ts';
import type { ReceivedFile, UploadFacts, UploadRule } from '../../platform/uploads.ts';
import { type Asr, isAsrUnavailableError, wavDurationMs } from '../asr.ts';
import type { Caller } from '../auth.ts';
import type { DivinationConfig } from '../config.ts';
import type { Db, UserRow } from '../database.ts';
import { DivinationError, type ErrorName } from '../errors.ts';
import { randomId } from '../ids.ts';
import {
  type ImageType,
  imageTypeOf,
  imageTypes,
  isImageType,
  isStorageUnavailableError,
  isStorageWriteError,
  maxImageBytes,
  objectPath,
  ownerOf,
  type Storage,
} from '../storage.ts';
import { liveUser } from '../users.ts';
import { avatarUrl, profileOwner, profileView } from './account-handlers.ts';
import { caller } from './auth-handlers.ts';

export interface FileHandlerDeps {
  db: Db;
  clock: Clock;
  config: DivinationConfig;
  storage: Storage;
  asr: Asr;
}

type FileOperations =
  | 'transcribeAudio'
  | 'uploadAttachment'
  | 'signAttachmentUrl'
  | 'createAvatarUploadUrl'
  | 'uploadAvatar'
  | 'setAvatar';

/** WAV, under the names clients give it. */
const audioTypes = ['audio/wav', 'audio/x-wav', 'audio/wave'];
/** 10 MiB, the catalog's `max_bytes`. */
const maxAudioBytes = 10 * 1024 * 1024;
const avatarLimits = { accepted: [...imageTypes], max_bytes: maxImageBytes };
const extensions: Record<ImageType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

/**
 * The limits of each multipart operation. Attachments and avatars are images of at most 5 MiB,
 * as the schemas say (`StoredAttachment.size_bytes` at most 5242880): AGENT_ATTACHMENT_TOO_LARGE
 * tells that `max_bytes`, not the catalog example's 10 MiB.
 */
export const divinationUploadRules: Partial<Record<keyof operations, UploadRule<ErrorName>>> = {
  transcribeAudio: {
    files: { file: {} },
    maxFileBytes: maxAudioBytes,
    types: audioTypes,
    tooLarge: 'AGENT_AUDIO_TOO_LARGE',
    wrongType: 'AGENT_AUDIO_UNSUPPORTED_FORMAT',
    empty: 'AGENT_AUDIO_EMPTY',
  },
  uploadAttachment: {
    files: { file: {} },
    maxFileBytes: maxImageBytes,
    types: [...imageTypes],
    tooLarge: 'AGENT_ATTACHMENT_TOO_LARGE',
    wrongType: 'AGENT_ATTACHMENT_UNSUPPORTED_TYPE',
    empty: 'AGENT_ATTACHMENT_EMPTY',
  },
  uploadAvatar: {
    files: { file: {} },
    maxFileBytes: maxImageBytes,
    types: [...imageTypes],
    tooLarge: 'AVATAR_FILE_INVALID',
    wrongType: 'AVATAR_FILE_INVALID',
    empty: 'AVATAR_FILE_INVALID',
  },
};

/** The refusal of an upload by one of the rules' codes, with its catalog details. */
export function refuseUpload(code: ErrorName, facts: UploadFacts): Error {
  switch (code) {
    case 'AGENT_AUDIO_UNSUPPORTED_FORMAT':
      return new DivinationError(code, { accepted: audioTypes });
    case 'AGENT_AUDIO_TOO_LARGE':
      return new DivinationError(code, { max_bytes: maxAudioBytes });
    case 'AGENT_ATTACHMENT_TOO_LARGE':
      return new DivinationError(code, { max_bytes: maxImageBytes });
    case 'AGENT_ATTACHMENT_UNSUPPORTED_TYPE':
      return new DivinationError(code, { content_type: facts.contentType ?? '' });
    case 'AVATAR_FILE_INVALID':
      return new DivinationError(code, avatarLimits);
    case 'AGENT_AUDIO_EMPTY':
    case 'AGENT_ATTACHMENT_EMPTY':
      return new DivinationError(code);
    default:
      return new Error(`${code} refuses no upload`);
  }
}

/** A declared media type without its parameters. */
const mediaType = (value: string) => (value.split(';')[0] ?? '').trim().toLowerCase();

/** The form's one file (the validator requires it). */
function theFile(files: ReceivedFile[]): ReceivedFile {
  const [file] = files;
  if (!file) {
    throw new Error('a multipart operation ran without its file');
  }
  return file;
}

/**
 * The image type a file is, when its bytes are what it declares; the upload parser sniffs PNG and
 * JPEG, not WebP.
 */
function imageType(file: ReceivedFile): ImageType | undefined {
  const type = imageTypeOf(file.bytes);
  return type === mediaType(file.contentType) ? type : undefined;
}

/** Speech to text, attachments, avatars: what goes to the ASR and the storage. */
export function createFileHandlers({
  db,
  clock,
  config,
  storage,
  asr,
}: FileHandlerDeps): Pick<Handlers<operations, Caller>, FileOperations> {
  const ttl = config.storage.urlTtlSeconds;
  const now = () => clock.now().toISOString();
  const signedAvatar = avatarUrl(storage, config.storage.urlTtlSeconds);

  /**
   * The caller's avatar set to `path`, and the previous one removed. A new upload is taken back
   * when the account cannot take it (deleted meanwhile, or the database failing).
   */
  async function useAvatar(user: UserRow, path: string, uploaded: boolean) {
    let updated: UserRow | undefined;
    try {
      updated = await db
        .updateTable('users')
        .set({ avatar_path: path, updated_at: now() })
        .where('id', '=', user.id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    } finally {
      if (!updated && uploaded) {
        await storage.delete('avatars', path).catch(() => undefined);
      }
    }
    if (!updated) {
      throw new DivinationError('PROFILE_NOT_FOUND');
    }
    if (user.avatar_path !== null && user.avatar_path !== path) {
      // Left behind when the storage fails now; removed with the account's files at the latest.
      await storage.delete('avatars', user.avatar_path).catch(() => undefined);
    }
    return { status: 200 as const, body: profileView(updated, signedAvatar) };
  }

  return {
    async transcribeAudio(context) {
      await liveUser(db, caller(context.auth).userId);
      const file = theFile(context.files);
      const durationMs = wavDurationMs(file.bytes);
      if (durationMs === undefined) {
        // RIFF and WAVE, but no format or samples to read.
        throw new DivinationError('AGENT_AUDIO_UNSUPPORTED_FORMAT', { accepted: audioTypes });
      }
      if (durationMs === 0) {
        throw new DivinationError('AGENT_AUDIO_EMPTY');
      }
      try {
        const text = await asr.transcribe({
          bytes: file.bytes,
          filename: file.filename,
          contentType: 'audio/wav',
          language: context.body.language,
        });
        return { status: 200, body: { text, duration_ms: Math.max(1, Math.round(durationMs)) } };
      } catch (error) {
        if (isAsrUnavailableError(error)) {
          throw new DivinationError('AGENT_ASR_UNAVAILABLE', undefined, { cause: error });
        }
        throw error;
      }
    },

    async uploadAttachment(context) {
      const user = await liveUser(db, caller(context.auth).userId);
      const file = theFile(context.files);
      const contentType = imageType(file);
      if (!contentType) {
        const content_type = mediaType(file.contentType);
        throw new DivinationError('AGENT_ATTACHMENT_UNSUPPORTED_TYPE', { content_type });
      }
      const id = randomId('att_');
      const path = objectPath('attachments', user.id, `${id}.${extensions[contentType]}`);
      try {
        await storage.put('attachments', path, file.bytes, contentType);
      } catch (error) {
        if (isStorageUnavailableError(error)) {
          throw new DivinationError('AGENT_ATTACHMENT_STORAGE_UNAVAILABLE', undefined, {
            cause: error,
          });
        }
        if (isStorageWriteError(error)) {
          throw new DivinationError('AGENT_ATTACHMENT_UPLOAD_FAILED', undefined, { cause: error });
        }
        throw error;
      }
      const size = file.bytes.byteLength;
      try {
        await db
          .insertInto('attachments')
          .values({
            id,
            user_id: user.id,
            bucket: 'attachments',
            path,
            content_type: contentType,
            size,
            created_at: now(),
          })
          .execute();
      } catch (error) {
        await storage.delete('attachments', path).catch(() => undefined);
        throw error;
      }
      const signed = storage.signedUrl('attachments', path, ttl);
      return {
        status: 201,
        body: {
          bucket: 'attachments',
          path,
          content_type: contentType,
          size_bytes: size,
          url: signed.url,
          expires_at: signed.expiresAt.toISOString(),
        },
      };
    },

    async signAttachmentUrl(context) {
      const user = await liveUser(db, caller(context.auth).userId);
      const { bucket, path, expires_in } = context.body;
      if (bucket !== 'attachments') {
        throw new DivinationError('AGENT_ATTACHMENT_BUCKET_INVALID', { bucket });
      }
      if (ownerOf(bucket, path) !== user.id) {
        throw new DivinationError('AGENT_ATTACHMENT_PATH_SCOPE_INVALID', { path });
      }
      let stored: boolean;
      try {
        stored = await storage.exists(bucket, path);
      } catch (error) {
        if (isStorageUnavailableError(error)) {
          throw new DivinationError('AGENT_ATTACHMENT_STORAGE_UNAVAILABLE', undefined, {
            cause: error,
          });
        }
        throw error;
      }
      if (!stored) {
        // Nothing there to sign a URL to (the catalog has no code for a missing attachment).
        throw new DivinationError('AGENT_SIGNED_URL_GENERATION_FAILED');
      }
      const signed = storage.signedUrl(bucket, path, expires_in ?? ttl);
      return { status: 200, body: { url: signed.url, expires_at: signed.expiresAt.toISOString() } };
    },

    async createAvatarUploadUrl(context) {
      const user = await liveUser(db, caller(context.auth).userId);
      const contentType = mediaType(context.body.content_type);
      const sizeBytes = context.body.size_bytes;
      if (!isImageType(contentType) || sizeBytes > maxImageBytes) {
        throw new DivinationError('AVATAR_FILE_INVALID', avatarLimits);
      }
      const path = objectPath('avatars', user.id, `${randomId('av_')}.${extensions[contentType]}`);
      try {
        const signed = storage.signedUploadUrl('avatars', path, ttl, {
          contentType,
          maxBytes: sizeBytes,
        });
        const expires_at = signed.expiresAt.toISOString();
        return { status: 200, body: { upload_url: signed.url, path, expires_at } };
      } catch (error) {
        if (isStorageUnavailableError(error)) {
          throw new DivinationError('AVATAR_SIGNED_URL_FAILED', undefined, { cause: error });
        }
        throw error;
      }
    },

    async uploadAvatar(context) {
      const user = await profileOwner(db, caller(context.auth).userId);
      const file = theFile(context.files);
      const contentType = imageType(file);
      if (!contentType) {
        throw new DivinationError('AVATAR_FILE_INVALID', avatarLimits);
      }
      const path = objectPath('avatars', user.id, `${randomId('av_')}.${extensions[contentType]}`);
      try {
        await storage.put('avatars', path, file.bytes, contentType);
      } catch (error) {
        if (isStorageUnavailableError(error) || isStorageWriteError(error)) {
          throw new DivinationError('AVATAR_UPLOAD_FAILED', undefined, { cause: error });
        }
        throw error;
      }
      return useAvatar(user, path, true);
    },

    async setAvatar(context) {
      const user = await profileOwner(db, caller(context.auth).userId);
      const { path } = context.body;
      if (ownerOf('avatars', path) !== user.id) {
        throw new DivinationError('AVATAR_PATH_SCOPE_INVALID', { path });
      }
      // Only an image within its declared type and size can be there: its upload URL took no other.
      if (!(await storage.exists('avatars', path))) {
        throw new DivinationError('AVATAR_FILE_INVALID', avatarLimits);
      }
      return useAvatar(user, path, false);
    },
  };
}
