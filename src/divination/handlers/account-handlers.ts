import type { components, operations } from '../../../generated/divination/schema.d.ts';
import type { Clock } from '../../platform/clock.ts';
import type { Handlers } from '../../platform/handlers.ts';
import type { Caller } from '../auth.ts';
import type { DivinationConfig } from '../config.ts';
import type { Db, DivinationDatabase, UserRow } from '../database.ts';
import { DivinationError } from '../errors.ts';
import { isStorageUnavailableError, isStorageWriteError, type Storage } from '../storage.ts';
import { findLiveUser, liveUser } from '../users.ts';
import { caller } from './auth-handlers.ts';

export interface AccountHandlerDeps {
  db: Db;
  clock: Clock;
  /** Its invite reward, which `GET /invite-code` tells. */
  config: DivinationConfig;
  storage: Storage;
  /** Stops the runs this instance works for a deleted account (another instance's end as theirs do). */
  stopRuns(userId: string): void;
}

type AccountOperations =
  | 'getProfile'
  | 'updateProfile'
  | 'deleteAccount'
  | 'listNotifications'
  | 'markNotificationRead'
  | 'deleteNotification'
  | 'getInviteCode';

/** The signed URL of an avatar's path, for the `User` and `Profile` views. */
export function avatarUrl(storage: Storage, ttlSeconds: number): (path: string) => string | null {
  return (path) => storage.signedUrl('avatars', path, ttlSeconds).url;
}

/** The `Profile` the API answers. */
export function profileView(user: UserRow, avatarUrl: (path: string) => string | null) {
  return {
    user_id: user.id,
    nickname: user.nickname,
    birth_date: user.birth_date,
    gender: user.gender,
    bio: user.bio,
    avatar_url: user.avatar_path === null ? null : avatarUrl(user.avatar_path),
    updated_at: user.updated_at,
  };
}

/**
 * The caller's account for the profile routes, which tell a deleted account (whose access
 * token lives on for its few minutes) apart: PROFILE_NOT_FOUND.
 */
export async function profileOwner(db: Db, userId: string): Promise<UserRow> {
  const user = await findLiveUser(db, userId);
  if (!user) {
    throw new DivinationError('PROFILE_NOT_FOUND');
  }
  return user;
}

type ProfileChanges = Partial<
  Pick<DivinationDatabase['users'], 'nickname' | 'birth_date' | 'gender' | 'bio'>
>;

/** The earliest birth date taken. */
const earliestBirthDate = '1900-01-01';

/**
 * An update's changes, once what the schema cannot say is checked (PROFILE_PAYLOAD_INVALID): a
 * nickname of spaces or with control characters, a bio with control characters other than line
 * breaks, a birth date not yet come anywhere on Earth (UTC+14) or before 1900. The schema's own
 * limits (length, type, format) are the validator's REQUEST_VALIDATION_ERROR.
 */
function profileChanges(update: components['schemas']['ProfileUpdate'], now: Date): ProfileChanges {
  const invalid = () => new DivinationError('PROFILE_PAYLOAD_INVALID');
  const changes: ProfileChanges = {};
  if (update.nickname !== undefined) {
    const nickname = update.nickname.trim();
    if (nickname === '' || /\p{Cc}/u.test(nickname)) {
      throw invalid();
    }
    changes.nickname = nickname;
  }
  if (update.bio !== undefined) {
    if (/\p{Cc}/u.test(update.bio.replace(/\r?\n/g, ''))) {
      throw invalid();
    }
    changes.bio = update.bio;
  }
  if (update.birth_date !== undefined) {
    const latest = new Date(now.getTime() + 14 * 3600_000).toISOString().slice(0, 10);
    const date = update.birth_date;
    if (date !== null && (date > latest || date < earliestBirthDate)) {
      throw invalid();
    }
    changes.birth_date = date;
  }
  if (update.gender !== undefined) {
    changes.gender = update.gender;
  }
  return changes;
}

const notificationView = (row: DivinationDatabase['notifications']) => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  body: row.body,
  read: row.read === 1,
  created_at: row.created_at,
});

/** The profile, the account and its deletion, notifications, the invite code. */
export function createAccountHandlers({
  db,
  clock,
  config,
  storage,
  stopRuns,
}: AccountHandlerDeps): Pick<Handlers<operations, Caller>, AccountOperations> {
  const signed = avatarUrl(storage, config.storage.urlTtlSeconds);

  /**
   * A user's sessions, runs, files, notifications and tokens, then their files, in one
   * transaction: all gone, or nothing. The points ledger stays (the accounts' record), and the
   * user's row, marked deleted, so that tokens naming it find it gone.
   */
  async function deleteAccount(userId: string) {
    const now = clock.now().toISOString();
    await db.transaction().execute(async (trx) => {
      // Marked first: a racing deletion waits here, then finds it gone. The phone is freed; the
      // row stays, without its profile, so that tokens still naming it find it deleted.
      const marked = await trx
        .updateTable('users')
        .set({
          deleted_at: now,
          updated_at: now,
          nickname: '',
          bio: '',
          birth_date: null,
          gender: null,
          avatar_path: null,
        })
        .where('id', '=', userId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (marked.numUpdatedRows === 0n) {
        throw new DivinationError('AUTH_UNAUTHORIZED');
      }
      const runs = trx.selectFrom('agent_runs').select('run_id').where('user_id', '=', userId);
      const threads = trx
        .selectFrom('agent_sessions')
        .select('thread_id')
        .where('user_id', '=', userId);
      await trx.deleteFrom('run_events').where('run_id', 'in', runs).execute();
      await trx.deleteFrom('tool_calls').where('user_id', '=', userId).execute();
      await trx.deleteFrom('agent_runs').where('user_id', '=', userId).execute();
      await trx.deleteFrom('agent_messages').where('thread_id', 'in', threads).execute();
      await trx.deleteFrom('agent_sessions').where('user_id', '=', userId).execute();
      await trx.deleteFrom('attachments').where('user_id', '=', userId).execute();
      await trx.deleteFrom('notifications').where('user_id', '=', userId).execute();
      await trx.deleteFrom('refresh_tokens').where('user_id', '=', userId).execute();
      // The files last: a storage that fails rolls the rows back, and removed files cannot be.
      try {
        await storage.deleteScope(userId);
      } catch (error) {
        if (isStorageUnavailableError(error) || isStorageWriteError(error)) {
          throw new DivinationError('PROFILE_DELETE_FAILED', undefined, { cause: error });
        }
        throw error;
      }
    });
  }

  /** A notification that is not there, or not the caller's: the same answer. */
  const notFound = (notification_id: string) =>
    new DivinationError('NOTIFICATION_NOT_FOUND', { notification_id });

  return {
    async getProfile(context) {
      const user = await profileOwner(db, caller(context.auth).userId);
      return { status: 200, body: profileView(user, signed) };
    },

    async updateProfile(context) {
      const { userId } = caller(context.auth);
      const now = clock.now();
      const changes = profileChanges(context.body, now);
      const user = await db
        .updateTable('users')
        .set({ ...changes, updated_at: now.toISOString() })
        .where('id', '=', userId)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!user) {
        throw new DivinationError('PROFILE_NOT_FOUND');
      }
      return { status: 200, body: profileView(user, signed) };
    },

    async deleteAccount(context) {
      const user = await liveUser(db, caller(context.auth).userId);
      await deleteAccount(user.id);
      stopRuns(user.id);
      return { status: 204 };
    },

    async listNotifications(context) {
      const user = await liveUser(db, caller(context.auth).userId);
      const { limit = 20, before } = context.query;
      let page = db.selectFrom('notifications').selectAll().where('user_id', '=', user.id);
      if (before !== undefined) {
        page = page.where('created_at', '<', new Date(before).toISOString());
      }
      const items = await page
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      const { unread } = await db
        .selectFrom('notifications')
        .select((eb) => eb.fn.countAll<number | string>().as('unread'))
        .where('user_id', '=', user.id)
        .where('read', '=', 0)
        .executeTakeFirstOrThrow();
      return {
        status: 200,
        body: { items: items.map(notificationView), unread: Number(unread) },
      };
    },

    async markNotificationRead(context) {
      const user = await liveUser(db, caller(context.auth).userId);
      const { notificationId } = context.params;
      const notification = await db
        .updateTable('notifications')
        .set({ read: 1 })
        .where('id', '=', notificationId)
        .where('user_id', '=', user.id)
        .returningAll()
        .executeTakeFirst();
      if (!notification) {
        throw notFound(notificationId);
      }
      return { status: 200, body: notificationView(notification) };
    },

    async deleteNotification(context) {
      const user = await liveUser(db, caller(context.auth).userId);
      const { notificationId } = context.params;
      const deleted = await db
        .deleteFrom('notifications')
        .where('id', '=', notificationId)
        .where('user_id', '=', user.id)
        .executeTakeFirst();
      if (deleted.numDeletedRows === 0n) {
        throw notFound(notificationId);
      }
      return { status: 204 };
    },

    async getInviteCode(context) {
      const user = await findLiveUser(db, caller(context.auth).userId);
      if (!user) {
        throw new DivinationError('INVITE_CODE_NOT_FOUND');
      }
      const { invited } = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number | string>().as('invited'))
        .where('invited_by', '=', user.id)
        .executeTakeFirstOrThrow();
      return {
        status: 200,
        body: {
          code: user.invite_code,
          invited_count: Number(invited),
          reward_points: config.points.inviteReward,
        },
      };
    },
  };
}
