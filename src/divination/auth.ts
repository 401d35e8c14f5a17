import type { Request } from 'express';
import type { Clock } from '../platform/clock.ts';
import { isUniqueViolation } from '../platform/database-errors.ts';
import { createTokens } from '../platform/tokens.ts';
import {
  type AuthProvider,
  isAuthProviderThrottledError,
  isAuthProviderUnavailableError,
} from './auth-provider.ts';
import type { DivinationConfig } from './config.ts';
import type { Db, Trx, UserRow } from './database.ts';
import { DivinationError } from './errors.ts';
import { newOpaqueToken, randomId, tokenHash } from './ids.ts';
import { createUser, findInviter } from './users.ts';

/** Who sent a request: the user its access token names (the account may be gone since). */
export interface Caller {
  userId: string;
}

export interface AuthOptions {
  db: Db;
  clock: Clock;
  config: DivinationConfig;
  provider: AuthProvider;
  secret: Uint8Array;
}

/** Who issues the tokens and who they are for: a token of another service is refused. */
const tokenParties = { issuer: 'api-contracts/divination', audience: 'divination' };

/** The provider's failures as the catalog's codes. */
async function withProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAuthProviderThrottledError(error)) {
      const retry_after = error.retryAfterSeconds;
      throw new DivinationError('AUTH_TOO_MANY_REQUESTS', { retry_after }, { cause: error });
    }
    if (isAuthProviderUnavailableError(error)) {
      throw new DivinationError('AUTH_SERVICE_UNAVAILABLE', undefined, { cause: error });
    }
    throw error;
  }
}

/**
 * Sign-in with one-time codes the auth provider texts and checks; short-lived access tokens
 * (JWT) and refresh tokens kept hashed, each used once: a refresh rotates it, and a used one
 * presented again revokes every token of its sign-in (someone else has a copy).
 */
export function createAuth({ db, clock, config, provider, secret }: AuthOptions) {
  const tokens = createTokens({
    secret,
    ...tokenParties,
    ttlSeconds: config.accessTokenTtlSeconds,
    clock,
  });
  const now = () => clock.now().toISOString();

  /** An access token and a refresh token of `family` (a new sign-in's when absent). */
  async function issue(user: UserRow, family = randomId('fam_'), executor: Db | Trx = db) {
    const refreshToken = newOpaqueToken('rt_');
    const expiresAt = new Date(clock.now().getTime() + config.refreshTokenTtlSeconds * 1000);
    await executor
      .insertInto('refresh_tokens')
      .values({
        token_hash: tokenHash(refreshToken),
        user_id: user.id,
        family_id: family,
        expires_at: expiresAt.toISOString(),
        used_at: null,
        revoked_at: null,
        created_at: now(),
      })
      .execute();
    const access = await tokens.issue(user.id);
    return {
      access_token: access.token,
      refresh_token: refreshToken,
      token_type: 'Bearer' as const,
      expires_in: config.accessTokenTtlSeconds,
      user,
    };
  }

  async function revokeFamily(family: string) {
    await db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now() })
      .where('family_id', '=', family)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** The live account of a phone, or one opened for it (a racing sign-in's, if it won). */
  async function accountOf(phone: string, inviteCode?: string): Promise<UserRow> {
    const live = () =>
      db
        .selectFrom('users')
        .selectAll()
        .where('phone', '=', phone)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
    const existing = await live();
    if (existing) {
      return existing;
    }
    try {
      return await db
        .transaction()
        .execute((trx) => createUser(trx, { phone, inviteCode, now: now() }, config.points));
    } catch (error) {
      const raced = isUniqueViolation(error) ? await live() : undefined;
      if (raced) {
        return raced;
      }
      throw error;
    }
  }

  return {
    /** The bearer scheme: a valid access token names its user (AUTH_UNAUTHORIZED otherwise). */
    async bearerAuth(request: Request): Promise<Caller> {
      const [scheme, token] = (request.get('authorization') ?? '').split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) {
        throw new DivinationError('AUTH_UNAUTHORIZED');
      }
      try {
        return { userId: (await tokens.verify(token)).subject };
      } catch (error) {
        throw new DivinationError('AUTH_UNAUTHORIZED', undefined, { cause: error });
      }
    },

    /**
     * Has the provider text a code: one a minute a phone (429 with retry_after), claimed in the
     * database before the text goes, so racing requests send one.
     */
    async requestCode(phone: string): Promise<void> {
      const sentAt = clock.now();
      const before = new Date(sentAt.getTime() - config.otpResendSeconds * 1000).toISOString();
      const account = await db
        .selectFrom('users')
        .select('id')
        .where('phone', '=', phone)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      const row = { phone, user_id: account?.id ?? null, sent_at: sentAt.toISOString() };
      const claimed = await db
        .insertInto('otp_requests')
        .values(row)
        .onConflict((conflict) =>
          conflict
            .column('phone')
            .doUpdateSet({ user_id: row.user_id, sent_at: row.sent_at })
            .where('otp_requests.sent_at', '<=', before),
        )
        .executeTakeFirst();
      if (claimed.numInsertedOrUpdatedRows === 0n) {
        const last = await db
          .selectFrom('otp_requests')
          .select('sent_at')
          .where('phone', '=', phone)
          .executeTakeFirstOrThrow();
        const waitMs = Date.parse(last.sent_at) + config.otpResendSeconds * 1000 - sentAt.getTime();
        throw new DivinationError('AUTH_TOO_MANY_REQUESTS', {
          retry_after: Math.max(1, Math.ceil(waitMs / 1000)),
        });
      }
      try {
        await withProvider(() => provider.sendCode(phone));
      } catch (error) {
        // Not sent: the minute is not used up.
        await db
          .deleteFrom('otp_requests')
          .where('phone', '=', phone)
          .where('sent_at', '=', row.sent_at)
          .execute();
        throw error;
      }
    },

    /**
     * Signs in with the code the provider checks (401 wrong, 429 too many tries); a first
     * sign-in opens the account. An account deleted since the code was sent answers 404.
     */
    async signIn(phone: string, code: string, inviteCode?: string) {
      // An invite code no one has is refused before the one-time code is spent on it.
      if (inviteCode !== undefined) {
        await findInviter(db, inviteCode);
      }
      if (!(await withProvider(() => provider.verifyCode(phone, code)))) {
        throw new DivinationError('AUTH_VERIFICATION_CODE_INVALID');
      }
      const requested = await db
        .selectFrom('otp_requests')
        .innerJoin('users', 'users.id', 'otp_requests.user_id')
        .select('users.deleted_at')
        .where('otp_requests.phone', '=', phone)
        .executeTakeFirst();
      if (requested?.deleted_at) {
        throw new DivinationError('AUTH_USER_NOT_FOUND');
      }
      return issue(await accountOf(phone, inviteCode));
    },

    /**
     * New tokens for a refresh token, which is used up: unknown, expired, revoked or used
     * (its whole sign-in is revoked then), or an identity the provider disabled, answers 401.
     */
    async refresh(refreshToken: string) {
      const row = await db
        .selectFrom('refresh_tokens')
        .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
        .selectAll('refresh_tokens')
        .select(['users.phone', 'users.deleted_at'])
        .where('token_hash', '=', tokenHash(refreshToken))
        .executeTakeFirst();
      if (!row || row.revoked_at !== null || row.expires_at <= now() || row.deleted_at !== null) {
        throw new DivinationError('AUTH_REFRESH_TOKEN_INVALID');
      }
      // A used one again: someone else has a copy. The whole sign-in ends.
      if (row.used_at !== null) {
        await revokeFamily(row.family_id);
        throw new DivinationError('AUTH_REFRESH_TOKEN_INVALID');
      }
      // Asked before the token is used up: a provider down (503) leaves it for the retry.
      if (!(await withProvider(() => provider.isActive(row.phone)))) {
        await revokeFamily(row.family_id);
        throw new DivinationError('AUTH_REFRESH_TOKEN_INVALID');
      }
      const user = await db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', row.user_id)
        .executeTakeFirstOrThrow();
      // Used up and replaced in one transaction; of two racing refreshes the loser is a reuse.
      const renewed = await db.transaction().execute(async (trx) => {
        const used = await trx
          .updateTable('refresh_tokens')
          .set({ used_at: now() })
          .where('token_hash', '=', row.token_hash)
          .where('used_at', 'is', null)
          .executeTakeFirst();
        return used.numUpdatedRows === 0n ? undefined : issue(user, row.family_id, trx);
      });
      if (!renewed) {
        await revokeFamily(row.family_id);
        throw new DivinationError('AUTH_REFRESH_TOKEN_INVALID');
      }
      return renewed;
    },

    /** Ends the sign-in a refresh token belongs to (every token of it). */
    async signOut(refreshToken: string | undefined): Promise<void> {
      if (refreshToken === undefined) {
        throw new DivinationError('AUTH_REFRESH_TOKEN_MISSING');
      }
      const row = await db
        .selectFrom('refresh_tokens')
        .select(['family_id', 'revoked_at', 'expires_at'])
        .where('token_hash', '=', tokenHash(refreshToken))
        .executeTakeFirst();
      if (!row || row.revoked_at !== null || row.expires_at <= now()) {
        throw new DivinationError('AUTH_REFRESH_TOKEN_INVALID');
      }
      await revokeFamily(row.family_id);
    },

    /** Ends every sign-in of a user (account deletion). */
    async signOutEverywhere(userId: string): Promise<void> {
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now() })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;
