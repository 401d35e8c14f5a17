import type { Clock } from '../platform/clock.ts';
import type { AccountRow, Db } from './database.ts';
import { WorkflowCloudError } from './errors.ts';
import { keyHash } from './ids.ts';

/** Who sent a request: the account its API key belongs to. */
export interface Caller {
  account: AccountRow;
}

/**
 * The account of an API key, or the code that refuses it: unknown or revoked 802, its account
 * closed 806, a key past its expiry 811 for an enterprise's (802 for any other), a free account 801. Every operation starts
 * here; the key travels in the body, so this is the handlers' first step, not a security scheme.
 */
export function createAuthentication(db: Db, clock: Clock) {
  return async function authenticate(apiKey: string): Promise<Caller> {
    const found = await db
      .selectFrom('api_keys')
      .innerJoin('accounts', 'accounts.id', 'api_keys.account_id')
      .selectAll('accounts')
      .select(['api_keys.expires_at as key_expires_at', 'api_keys.revoked_at as key_revoked_at'])
      .where('api_keys.key_hash', '=', keyHash(apiKey))
      .executeTakeFirst();
    if (!found || found.key_revoked_at !== null) {
      throw new WorkflowCloudError('APIKEY_UNAUTHORIZED');
    }
    const { key_expires_at, key_revoked_at: _, ...account } = found;
    if (account.closed_at !== null) {
      throw new WorkflowCloudError('APIKEY_USER_NOT_FOUND');
    }
    if (key_expires_at !== null && key_expires_at <= clock.now().toISOString()) {
      throw new WorkflowCloudError(
        account.plan === 'enterprise' ? 'CORPAPIKEY_INVALID' : 'APIKEY_UNAUTHORIZED',
      );
    }
    if (account.plan === 'free') {
      throw new WorkflowCloudError('APIKEY_UNSUPPORTED_FREE_USER');
    }
    return { account };
  };
}

export type Authenticate = ReturnType<typeof createAuthentication>;
