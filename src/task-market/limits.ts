import type { Request } from 'express';
import type { Clock } from '../platform/clock.ts';
import type { ClientLimit } from '../platform/guards.ts';
import { type Admission, FixedWindowLimiter } from '../platform/limits.ts';
import type { Caller } from './auth.ts';
import type { TaskMarketConfig } from './config.ts';
import { TaskMarketError } from './errors.ts';
import type { OpenClaw } from './openclaw.ts';

/**
 * The market's limits: per client address before anything else, per agent (and its daily quota)
 * once it is known, and failed sign-ins per agent, so nobody can guess a secret from many
 * addresses.
 */
export function createLimits(config: TaskMarketConfig, clock: Clock) {
  const limiter = ({ limit, windowSeconds }: { limit: number; windowSeconds: number }) =>
    new FixedWindowLimiter(limit, windowSeconds, clock);
  const client = limiter(config.clientRateLimit);
  const rate = limiter(config.rateLimit);
  const quota = limiter({ limit: config.dailyQuota, windowSeconds: 86_400 });
  const signInFailures = limiter(config.signInFailures);

  /** RATE_LIMITED for a limiter's refusal, `retryAfter` seconds before its next window. */
  const tooMany = (refused: FixedWindowLimiter, retryAfter: number) =>
    new TaskMarketError('RATE_LIMITED', {
      retry_after: retryAfter,
      limit: refused.limit,
      window: `${refused.windowSeconds}s`,
    });
  const rateLimited = (refused: FixedWindowLimiter, admission: Admission) => {
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
    admit(request: Request, caller: Caller | null) {
      rateLimited(rate, rate.take(caller ? `agent:${caller.agent.id}` : `address:${request.ip}`));
      if (caller) {
        const left = quota.take(caller.agent.id);
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
          rateLimited(signInFailures, signInFailures.take(agentId));
          const valid = await openclaw.verify(agentId, secret).catch((error: unknown) => {
            signInFailures.refund(agentId);
            throw error;
          });
          if (valid) {
            signInFailures.refund(agentId);
          }
          return valid;
        },
      };
    },
  };
}
