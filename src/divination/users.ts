import type { DivinationConfig } from './config.ts';
import type { Db, Trx, UserRow } from './database.ts';
import { DivinationError } from './errors.ts';
import { newInviteCode, randomId } from './ids.ts';
import { movePoints } from './points.ts';

/** A phone as the API shows it: four of its digits masked. */
export const maskedPhone = (phone: string) => `${phone.slice(0, -8)}****${phone.slice(-4)}`;

/** The `User` the API answers; `avatarUrl` signs the avatar's path. */
export function userView(user: UserRow, avatarUrl: (path: string) => string | null) {
  return {
    id: user.id,
    phone: maskedPhone(user.phone),
    nickname: user.nickname,
    avatar_url: user.avatar_path === null ? null : avatarUrl(user.avatar_path),
    locale: user.locale,
    created_at: user.created_at,
  };
}

/**
 * Opens an account for a phone in the caller's transaction: its starting points, an invite code
 * of its own, and the inviter's reward (with a notification) when it signed up with theirs.
 */
export async function createUser(
  trx: Trx,
  signUp: { phone: string; inviteCode?: string; now: string },
  points: DivinationConfig['points'],
): Promise<UserRow> {
  const { phone, now } = signUp;
  const inviter =
    signUp.inviteCode === undefined ? undefined : await findInviter(trx, signUp.inviteCode);
  // A phone that had an account before gets no starting points and rewards no inviter again:
  // deleting and signing up anew must not mint points.
  const returning = await trx
    .selectFrom('users')
    .select('id')
    .where('phone', '=', phone)
    .where('deleted_at', 'is not', null)
    .executeTakeFirst();
  const user: UserRow = {
    id: randomId('u_'),
    phone,
    nickname: `user${phone.slice(-4)}`,
    locale: 'zh-Hans',
    birth_date: null,
    gender: null,
    bio: '',
    avatar_path: null,
    balance: 0,
    invite_code: newInviteCode(),
    invited_by: inviter?.id ?? null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  // 36^6 codes: a collision is a unique violation, as rare as it is harmless (the sign-in fails).
  await trx.insertInto('users').values(user).execute();
  if (returning) {
    return user;
  }
  await movePoints(trx, { userId: user.id, amount: points.signUpGrant, kind: 'grant', now });
  if (inviter) {
    await movePoints(trx, { userId: inviter.id, amount: points.inviteReward, kind: 'invite', now });
    await trx
      .insertInto('notifications')
      .values({
        id: randomId('ntf_'),
        user_id: inviter.id,
        kind: 'invite',
        title: 'A friend joined',
        body: `A friend signed up with your invite code: ${points.inviteReward} points are yours.`,
        read: 0,
        created_at: now,
      })
      .execute();
  }
  return { ...user, balance: points.signUpGrant };
}

/** The live account whose invite code this is; an unknown one is refused as invalid input. */
export async function findInviter(db: Db | Trx, inviteCode: string): Promise<{ id: string }> {
  const inviter = await db
    .selectFrom('users')
    .select('id')
    .where('invite_code', '=', inviteCode)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!inviter) {
    throw new DivinationError('REQUEST_VALIDATION_ERROR', {
      errors: [
        { loc: ['body', 'invite_code'], msg: 'No user has this invite code', type: 'value_error' },
      ],
    });
  }
  return inviter;
}

/**
 * The live account of an access token's user. A token outlives a deletion by its few minutes:
 * for anything but the routes that tell "gone" apart (`/auth/me`, `/profile`), it stands for no
 * one, as `AUTH_UNAUTHORIZED`.
 */
export async function liveUser(db: Db, userId: string): Promise<UserRow> {
  const user = await findLiveUser(db, userId);
  if (!user) {
    throw new DivinationError('AUTH_UNAUTHORIZED');
  }
  return user;
}

/** The user, unless the account was deleted. */
export function findLiveUser(db: Db, userId: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}
