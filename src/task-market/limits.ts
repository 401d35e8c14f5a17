import type { Request } from 'express';
import type { Kysely } from 'kysely';
import type { Clock } from '../platform/clock.ts';
import type { ClientLimit } from '../platform/guards.ts';
import { type Admission, databaseLimits, type Limiter } from '../platform/limits.ts';
import type { PlatformTables } from '../platform/tables.ts';
import type { Caller } from './auth.ts';
import type { TaskMarketConfig } from './config.ts';
import { TaskMarketError } from './errors.ts';
import type { OpenClaw } from './openclaw.ts';

/**
 * The market's limits: per client address before anything else, per agent (and its daily quota)
 * once it is known, and failed sign-ins per agent, so nobody can guess a secret from many
 * addresses. They are counted in the database, so every instance counts against the same limits.
 */
export function createLimits(config: TaskMarketConfig, db: Kysely<PlatformTables>, clock: Clock) {
  const limiter = databaseLimits(db, clock);
  const client = limiter(
    'client',
    config.clientRateLimit.limit,
    config.clientRateLimit.windowSeconds,
  );
  const rate = limiter('rate', config.rateLimit.limit, config.rateLimit.windowSeconds);
  const quota = limiter('quota', config.dailyQuota, 86_400);
  const signInFailures = limiter(
    'sign-in-failures',
    config.signInFailures.limit,
    config.signInFailures.windowSeconds,
  );

  /** RATE_LIMITED for a limiter's refusal, `retryAfter` seconds before its next window. */
  const tooMany = (refused: Limiter, retryAfter: number) =>
    new TaskMarketError('RATE_LIMITED', {
      retry_after: retryAfter,
      limit: refused.limit,
      window: `${refused.windowSeconds}s`,
    });
  const rateLimited = (refused: Limiter, admission: Admission) => {
    if (!admission.allowed) {
      throw tooMany(refused, admission.retryAfter);
    }
  };

  return {
    clientLimit: {
      take: (key) => client.take(key),
      refuse: (retryAfter) => tooMany(client, retryAfter),
    } satisfies ClientLimit,

    /** Every request counts against its agent's rate limit (sign-in: its address's) and quota. */
    async admit(request: Request, caller: Caller | null) {
      const key = caller ? `agent:${caller.agent.id}` : `address:${request.ip}`;
      rateLimited(rate, await rate.take(key));
      if (caller) {
        const left = await quota.take(caller.agent.id);
        if (!left.allowed) {
          throw new TaskMarketError('QUOTA_EXCEEDED', {
            retry_after: left.retryAfter,
            limit: quota.limit,
            window: '1d',
          });
        }
      }
    },

    /** OpenClaw, refusing an agent's sign-ins once its failures reach the limit. */
    guardSignIn(openclaw: OpenClaw): OpenClaw {
      return {
        async verify(agentId, secret) {
          // Counted before asking OpenClaw, so parallel guesses cannot all slip in; a success
          // gives its count back.
          rateLimited(signInFailures, await signInFailures.take(agentId));
          const valid = await openclaw.verify(agentId, secret).catch(async (error: unknown) => {
            await signInFailures.refund(agentId);
            throw error;
          });
          if (valid) {
            await signInFailures.refund(agentId);
          }
          return valid;
        },
      };
    },
  };
}
