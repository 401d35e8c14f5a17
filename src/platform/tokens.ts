import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Clock } from './clock.ts';

/** Shortest signing secret accepted: HS256 keys shorter than its hash are guessable. */
export const minimumSecretBytes = 32;

/** Thrown by `verify` when a token's `exp` has passed. */
export class TokenExpiredError extends Error {
  override name = 'TokenExpiredError';

  constructor(
    readonly expiredAt: Date,
    options?: { cause?: unknown },
  ) {
    super(`token expired at ${expiredAt.toISOString()}`, options);
  }
}

/** Thrown by `verify` for any token that is not one of ours: signature, claims, format. */
export class TokenInvalidError extends Error {
  override name = 'TokenInvalidError';
}

/** The claims a verified token vouches for. */
export interface TokenClaims {
  subject: string;
  tokenId: string;
}

export interface TokenOptions {
  secret: Uint8Array;
  /** `iss` and `aud`: tokens of another service or issuer are refused. */
  issuer: string;
  audience: string;
  ttlSeconds: number;
  clock: Clock;
}

/**
 * Bearer tokens: JWTs signed with HS256 that carry and require `sub`, `jti`, `iat`, `exp`, `iss`
 * and `aud`. A token that verified is remembered with its claims until it expires, since
 * checking its signature again would give the same answer.
 */
export function createTokens({ secret, issuer, audience, ttlSeconds, clock }: TokenOptions) {
  requireStrongSecret(secret);
  const verified = new Map<string, { claims: TokenClaims; expiresAt: number }>();

  return {
    /** A new token for `subject`, with its id and expiry. */
    async issue(subject: string): Promise<TokenClaims & { token: string; expiresAt: Date }> {
      const issuedAt = Math.floor(clock.now().getTime() / 1000);
      const tokenId = randomUUID();
      const expiresAt = issuedAt + ttlSeconds;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(subject)
        .setJti(tokenId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(secret);
      return { token, subject, tokenId, expiresAt: new Date(expiresAt * 1000) };
    },

    /** The claims of one of our tokens; throws TokenExpiredError or TokenInvalidError. */
    async verify(token: string): Promise<TokenClaims> {
      const now = clock.now();
      const known = verified.get(token);
      if (known && known.expiresAt > now.getTime()) {
        return known.claims;
      }
      verified.delete(token);
      const claims = await verifySignature(token, now);
      remember(verified, token, claims.claims, claims.expiresAt);
      return claims.claims;
    },
  };

  async function verifySignature(token: string, now: Date) {
    try {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        issuer,
        audience,
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
        currentDate: now,
      });
      const claims = { subject: payload.sub as string, tokenId: payload.jti as string };
      return { claims, expiresAt: Number(payload.exp) * 1000 };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new TokenExpiredError(new Date(Number(error.payload.exp) * 1000), { cause: error });
      }
      throw new TokenInvalidError('not a valid token', { cause: error });
    }
  }
}

export type Tokens = ReturnType<typeof createTokens>;

/** Fails when a signing secret is shorter than `minimumSecretBytes`. */
export function requireStrongSecret(secret: Uint8Array): void {
  if (secret.byteLength < minimumSecretBytes) {
    throw new Error(
      `a signing secret needs at least ${minimumSecretBytes} bytes, not ${secret.byteLength}`,
    );
  }
}

/** Keeps a verified token; bounded, the oldest half goes when it is full. */
function remember(
  verified: Map<string, { claims: TokenClaims; expiresAt: number }>,
  token: string,
  claims: TokenClaims,
  expiresAt: number,
) {
  const capacity = 10_000;
  if (verified.size >= capacity) {
    for (const key of [...verified.keys()].slice(0, capacity / 2)) {
      verified.delete(key);
    }
  }
  verified.set(token, { claims, expiresAt });
}
