import type { operations } from '../../../generated/divination/schema.d.ts';
import type { Handlers } from '../../platform/handlers.ts';
import type { Auth, Caller } from '../auth.ts';
import type { DivinationConfig } from '../config.ts';
import type { Db } from '../database.ts';
import { DivinationError } from '../errors.ts';
import { findLiveUser, liveUser, userView } from '../users.ts';

export interface AuthHandlerDeps {
  db: Db;
  auth: Auth;
  config: DivinationConfig;
  /** The signed URL of a stored avatar. */
  avatarUrl(path: string): string | null;
}

type AuthOperations =
  | 'requestOtp'
  | 'signIn'
  | 'refreshTokens'
  | 'signOut'
  | 'getCurrentUser'
  | 'getPoints';

/** The caller of a secured operation. */
export function caller(auth: Caller | null): Caller {
  if (!auth) {
    throw new Error('a secured operation ran without an authenticated caller');
  }
  return auth;
}

/** Sign-in, tokens, the current user and their points. */
export function createAuthHandlers({
  db,
  auth,
  config,
  avatarUrl,
}: AuthHandlerDeps): Pick<Handlers<operations, Caller>, AuthOperations> {
  const session = async (tokens: Awaited<ReturnType<Auth['refresh']>>) => ({
    status: 200 as const,
    body: { ...tokens, user: userView(tokens.user, avatarUrl) },
  });
  return {
    async requestOtp({ body }) {
      await auth.requestCode(body.phone);
      return { status: 204 };
    },

    async signIn({ body }) {
      return session(await auth.signIn(body.phone, body.code, body.invite_code));
    },

    async refreshTokens({ body }) {
      return session(await auth.refresh(body.refresh_token));
    },

    async signOut({ body }) {
      await auth.signOut(body.refresh_token);
      return { status: 204 };
    },

    async getCurrentUser(context) {
      const user = await findLiveUser(db, caller(context.auth).userId);
      if (!user) {
        throw new DivinationError('AUTH_USER_NOT_FOUND');
      }
      return { status: 200, body: userView(user, avatarUrl) };
    },

    async getPoints(context) {
      const user = await liveUser(db, caller(context.auth).userId);
      return { status: 200, body: { balance: user.balance, run_cost: config.points.runCost } };
    },
  };
}
