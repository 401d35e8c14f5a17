import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Clock } from '../platform/clock.ts';
import { compiledLookup } from '../platform/db.ts';
import type { RequestWithRawBody } from '../platform/http.ts';
import type { ReplayGuard } from '../platform/replays.ts';
import type { SecurityScheme } from '../platform/service-app.ts';
import { createTokens, TokenExpiredError } from '../platform/tokens.ts';
import {
  canonicalRequest,
  type SignedRequest,
  timestampFormat,
} from '../protocol/task-market-signature.ts';
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
  /** Secret of the HMAC behind tokens and signing keys (at least 32 bytes). */
  secret: Uint8Array;
  tokenTtlSeconds: number;
  /** How far X-Timestamp may be from the server's clock; a signature is used once within it. */
  signatureToleranceSeconds: number;
  replays: ReplayGuard;
}

/** Who issues the tokens and who they are for: a token of another service is refused. */
const tokenParties = { issuer: 'api-contracts/task-market', audience: 'task-market' };

/** Bearer tokens (JWT, HS256) and request signatures (HMAC-SHA256 keyed per token). */
export function createAuth({
  db,
  clock,
  secret,
  tokenTtlSeconds,
  signatureToleranceSeconds,
  replays,
}: AuthOptions) {
  const tokens = createTokens({ secret, ...tokenParties, ttlSeconds: tokenTtlSeconds, clock });
  const signingKey = (tokenId: string) =>
    createHmac('sha256', secret).update(`signing-key:${tokenId}`).digest('hex');
  const findAgent = compiledLookup(db, db.selectFrom('agents').selectAll().where('id', '=', ''));

  /** The token's claims, as the catalog's codes refuse a token. */
  async function verify(token: string) {
    try {
      return await tokens.verify(token);
    } catch (error) {
      if (error instanceof TokenExpiredError) {
        const details = { expired_at: error.expiredAt.toISOString() };
        throw new TaskMarketError('TOKEN_EXPIRED', details, { cause: error });
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
    const agent = await findAgent(subject);
    if (!agent) {
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
    const timestamp = signedTimestamp(request, clock.now(), signatureToleranceSeconds);
    const signature = request.get('x-signature');
    if (!signature) {
      throw new TaskMarketError('SIGNATURE_INVALID', { header: 'X-Signature', problem: 'missing' });
    }
    const expected = sign(signingKey(caller.tokenId), {
      method: request.method,
      path: request.originalUrl,
      timestamp,
      contentType: request.get('content-type') ?? '',
      contentEncoding: request.get('content-encoding') ?? '',
      idempotencyKey: request.get('idempotency-key') ?? '',
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
    // A signed request is good once: the same one sent again within its window is a replay.
    // Unless it has an Idempotency-Key (every signed write declares one): then a repeat gets
    // the first one's answer, so a retry within the same second is safe.
    const usableUntil = new Date((Number(timestamp) + signatureToleranceSeconds) * 1000);
    const keyed = request.get('idempotency-key') !== undefined;
    if (!keyed && !(await replays.firstUse(`task-market:${signature}`, usableUntil))) {
      throw new TaskMarketError('SIGNATURE_INVALID', {
        header: 'X-Signature',
        problem: 'replayed',
      });
    }
    return caller;
  };

  return {
    bearerAuth,
    requestSignature,

    /** A token for an agent that just signed in, with the key that signs its writes. */
    async issueToken(agentId: string) {
      const issued = await tokens.issue(agentId);
      return {
        access_token: issued.token,
        token_type: 'Bearer' as const,
        expires_in: tokenTtlSeconds,
        expires_at: issued.expiresAt.toISOString(),
        signing_key: signingKey(issued.tokenId),
      };
    },
  };
}

export type Auth = ReturnType<typeof createAuth>;

/** X-Timestamp, when it is Unix seconds within the tolerance of `now`. */
function signedTimestamp(request: Request, now: Date, toleranceSeconds: number): string {
  const timestamp = request.get('x-timestamp');
  if (!timestamp) {
    throw new TaskMarketError('SIGNATURE_INVALID', { header: 'X-Timestamp', problem: 'missing' });
  }
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (!timestampFormat.test(timestamp) || !(skew <= toleranceSeconds)) {
    throw new TaskMarketError('SIGNATURE_INVALID', {
      header: 'X-Timestamp',
      problem: 'stale',
      tolerance_seconds: toleranceSeconds,
    });
  }
  return timestamp;
}

/** The hex HMAC-SHA256 of a request's canonical text, keyed with the signing key. */
export function sign(
  signingKey: string,
  request: Omit<SignedRequest, 'bodyHash'> & { body: Buffer | string },
): string {
  const { body, ...signed } = request;
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHmac('sha256', signingKey)
    .update(canonicalRequest({ ...signed, bodyHash }))
    .digest('hex');
}
