/** Thrown when the auth provider cannot answer now: down, too slow, or answering 5xx. */
export class AuthProviderUnavailableError extends Error {
  override name = 'AuthProviderUnavailableError';
}

/** Thrown when the auth provider refuses more for a phone for now (its 429): codes or attempts. */
export class AuthProviderThrottledError extends Error {
  override name = 'AuthProviderThrottledError';

  constructor(readonly retryAfterSeconds: number) {
    super(`the auth provider throttles this phone for ${retryAfterSeconds} s`);
  }
}

export const isAuthProviderUnavailableError = (
  error: unknown,
): error is AuthProviderUnavailableError => error instanceof AuthProviderUnavailableError;
export const isAuthProviderThrottledError = (error: unknown): error is AuthProviderThrottledError =>
  error instanceof AuthProviderThrottledError;

/**
 * The auth provider, the source of phone identities: it texts one-time codes and checks them
 * (their expiry, single use and attempts are its), and says whether an identity is still active.
 */
export interface AuthProvider {
  /** `POST /v1/otp {phone}`: texts a code. */
  sendCode(phone: string): Promise<void>;
  /** `POST /v1/otp/verify {phone, code}`: whether it is the phone's live code (used up if so). */
  verifyCode(phone: string, code: string): Promise<boolean>;
  /** `GET /v1/identities/{phone}`: whether the phone may still sign in. */
  isActive(phone: string): Promise<boolean>;
}

export function createAuthProvider(baseUrl: string, timeoutMs: number): AuthProvider {
  async function call(path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(path, baseUrl), {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new AuthProviderUnavailableError('the auth provider did not answer', { cause: error });
    }
    if (response.status === 429) {
      await response.body?.cancel();
      throw new AuthProviderThrottledError(Number(response.headers.get('retry-after')) || 60);
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      throw new AuthProviderUnavailableError(`the auth provider answered ${response.status}`);
    }
    return response;
  }

  /** The JSON of a 2xx answer; anything else is the provider failing. */
  async function json(response: Response): Promise<Record<string, unknown>> {
    try {
      if (!response.ok) {
        throw new Error(`status ${response.status}`);
      }
      return (await response.json()) as Record<string, unknown>;
    } catch (error) {
      throw new AuthProviderUnavailableError('the auth provider answered unexpectedly', {
        cause: error,
      });
    }
  }

  return {
    async sendCode(phone) {
      const response = await call('/v1/otp', { phone });
      await json(response);
    },
    async verifyCode(phone, code) {
      return (await json(await call('/v1/otp/verify', { phone, code }))).verified === true;
    },
    async isActive(phone) {
      const response = await call(`/v1/identities/${encodeURIComponent(phone)}`);
      if (response.status === 404) {
        await response.body?.cancel();
        return false;
      }
      return (await json(response)).active === true;
    },
  };
}
