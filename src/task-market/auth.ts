import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../platform/clock.ts';
import { compiledLookup } from '../platform/db.ts';
import type { RequestWithRawBody } from '../platform/http.ts';
import type { SecurityScheme } from '../platform/service-app.ts';
import { VerifiedTokens } from '../platform/token-cache.ts';
import { canonicalRequest } from '../protocol/task-market-signature.ts';
import type { AgentRow, Db } from './database.ts';
import { TaskMarketError } from './errors.ts';

/** Who sent a request: the agent, and the token it used (whose id keys its signatures). */
export interface Caller {
  agent: AgentRow;
  tokenId: string;
}

export interface AuthOptions {
  db: Db;
  clock: Clock;
  /** Secret of the HMAC behind tokens and signing keys. */
  secret: Uint8Array;
  tokenTtlSeconds: number;
  /** How far X-Timestamp may be from the server's clock. */
  signatureToleranceSeconds: number;
}

/** Bearer tokens (JWT, HS256) and request signatures (HMAC-SHA256 keyed per token). */
export function createAuth({
  db,
  clock,
  secret,
  tokenTtlSeconds,
  signatureToleranceSeconds,
}: AuthOptions) {
  const signingKey = (tokenId: string) =>
    createHmac('sha256', secret).update(`signing-key:${tokenId}`).digest('hex');
  const verified = new VerifiedTokens<{ subject?: string; tokenId?: string }>();
  const findAgent = compiledLookup(db, db.selectFrom('agents').selectAll().where('id', '=', ''));

  /** The token's subject and id, verified once per token and then remembered until it expires. */
  async function verify(token: string): Promise<{ subject?: string; tokenId?: string }> {
    const known = verified.get(token, clock.now());
    if (known) {
      return known;
    }
    try {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        currentDate: clock.now(),
      });
      const claims = { subject: payload.sub, tokenId: payload.jti };
      verified.set(token, claims, Number(payload.exp) * 1000);
      return claims;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        const expiredAt = new Date(Number(error.payload.exp) * 1000).toISOString();
        throw new TaskMarketError('TOKEN_EXPIRED', { expired_at: expiredAt }, { cause: error });
      }
      throw new TaskMarketError('TOKEN_INVALID', undefined, { cause: error });
    }
  }

  const bearerAuth: SecurityScheme<Caller> = async (request) => {
    const header = request.get('authorization');
    if (!header) {
      throw new TaskMarketError('AUTH_REQUIRED');
    }
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) {
      throw new TaskMarketError('TOKEN_INVALID');
    }
    const { subject, tokenId } = await verify(token);
    const agent = subject ? await findAgent(subject) : undefined;
    if (!agent || !tokenId) {
      throw new TaskMarketError('TOKEN_INVALID');
    }
    if (agent.status === 'disabled') {
      throw new TaskMarketError('ACCOUNT_DISABLED', { agent_id: agent.id });
    }
    return { agent, tokenId };
  };

  const requestSignature: SecurityScheme<Caller> = async (request, caller) => {
    if (!caller) {
      throw new TaskMarketError('AUTH_REQUIRED');
    }
    const timestamp = request.get('x-timestamp');
    const signature = request.get('x-signature');
    if (!timestamp || !signature) {
      throw new TaskMarketError('SIGNATURE_INVALID', {
        header: timestamp ? 'X-Signature' : 'X-Timestamp',
        problem: 'missing',
      });
    }
    const skew = Math.abs(clock.now().getTime() / 1000 - Number(timestamp));
    if (!(skew <= signatureToleranceSeconds)) {
      throw new TaskMarketError('SIGNATURE_INVALID', {
        header: 'X-Timestamp',
        problem: 'stale',
        tolerance_seconds: signatureToleranceSeconds,
      });
    }
    const expected = sign(signingKey(caller.tokenId), {
      method: request.method,
      path: request.originalUrl,
      timestamp,
      body: (request as RequestWithRawBody).rawBody ?? Buffer.alloc(0),
    });
    const given = Buffer.from(signature, 'utf8');
    if (
      given.length !== expected.length ||
      !timingSafeEqual(given, Buffer.from(expected, 'utf8'))
    ) {
      throw new TaskMarketError('SIGNATURE_INVALID', {
        header: 'X-Signature',
        problem: 'mismatch',
      });
    }
    return caller;
  };

  return {
    bearerAuth,
    requestSignature,

    /** A token for an agent that just signed in, with the key that signs its writes. */
    async issueToken(agentId: string) {
      const issuedAt = Math.floor(clock.now().getTime() / 1000);
      const tokenId = randomUUID();
      const expiresAt = issuedAt + tokenTtlSeconds;
      const accessToken = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(agentId)
        .setJti(tokenId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(secret);
      return {
        access_token: accessToken,
        token_type: 'Bearer' as const,
        expires_in: tokenTtlSeconds,
        expires_at: new Date(expiresAt * 1000).toISOString(),
        signing_key: signingKey(tokenId),
      };
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;

/** What a signature covers; clients compute the same (see the requestSignature scheme). */
export interface SignedRequest {
  method: string;
  /** Path with query, as sent: `/task-market/tasks?limit=5`. */
  path: string;
  timestamp: string;
  body: Buffer | string;
}

/** The hex HMAC-SHA256 of the request's canonical text, keyed with the signing key. */
export function sign(signingKey: string, { method, path, timestamp, body }: SignedRequest): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', signingKey)
    .update(canonicalRequest(method, path, timestamp, bodyHash))
    .digest('hex');
}
