import { TaskMarketError } from './errors.ts';

/** The OpenClaw identity service, which owns agents' credentials. */
export interface OpenClaw {
  /** Whether OpenClaw knows these credentials; throws UPSTREAM_ERROR when it cannot answer. */
  verify(agentId: string, secret: string): Promise<boolean>;
}

/**
 * OpenClaw over HTTP: `POST {baseUrl}/v1/credentials/verify` with `{agent_id, secret}` answers
 * 200 `{valid: true}` or 401 `{valid: false}`; anything else, or no answer in time, is a failure.
 */
export function openClawClient(baseUrl: string, timeoutMs = 3000): OpenClaw {
  return {
    async verify(agentId, secret) {
      let response: Response;
      try {
        response = await fetch(new URL('/v1/credentials/verify', baseUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ agent_id: agentId, secret }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new TaskMarketError('UPSTREAM_ERROR', { service: 'openclaw' }, { cause: error });
      }
      if (response.status === 401) {
        return false;
      }
      const body = (await response.json().catch(() => undefined)) as
        | { valid?: unknown }
        | undefined;
      if (response.status !== 200 || typeof body?.valid !== 'boolean') {
        throw new TaskMarketError('UPSTREAM_ERROR', {
          service: 'openclaw',
          status: response.status,
        });
      }
      return body.valid;
    },
  };
}
