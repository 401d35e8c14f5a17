import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokens, TokenExpiredError, TokenInvalidError } from '../../src/platform/tokens.ts';
import { TestClock } from '../support/clock.ts';

const secret = new TextEncoder().encode('s'.repeat(32));
const parties = { issuer: 'api-contracts/test', audience: 'test' };

/** A token signed with our secret, with the claims given (and none other). */
function forged(claims: { sub?: string; jti?: string; iss?: string; aud?: string; exp?: number }) {
  return new SignJWT({ ...claims, iat: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(secret);
}

describe('createTokens', () => {
  const clock = new TestClock();
  const tokens = createTokens({ secret, ...parties, ttlSeconds: 60, clock });
  const inAnHour = Math.floor(clock.now().getTime() / 1000) + 3600;
  const complete = {
    sub: 'agent',
    jti: 'token-1',
    ...{ iss: parties.issuer, aud: parties.audience },
    exp: inAnHour,
  };

  it('issues a token that verifies to its subject and id', async () => {
    const issued = await tokens.issue('agent-1');
    expect(await tokens.verify(issued.token)).toEqual({
      subject: 'agent-1',
      tokenId: issued.tokenId,
    });
  });

  it.each([
    ['without exp', { ...complete, exp: undefined }],
    ['without sub', { ...complete, sub: undefined }],
    ['without jti', { ...complete, jti: undefined }],
    ['of another issuer', { ...complete, iss: 'someone-else' }],
    ['for another audience', { ...complete, aud: 'bot-agent' }],
  ])('refuses a token %s', async (_what, claims) => {
    await expect(tokens.verify(await forged(claims))).rejects.toBeInstanceOf(TokenInvalidError);
  });

  it('refuses an expired token with when it expired', async () => {
    const issued = await tokens.issue('agent-1');
    const later = new TestClock();
    later.advance(61);
    const afterwards = createTokens({ secret, ...parties, ttlSeconds: 60, clock: later });
    await expect(afterwards.verify(issued.token)).rejects.toBeInstanceOf(TokenExpiredError);
  });

  it('refuses a signing secret shorter than 32 bytes', () => {
    const short = new TextEncoder().encode('x');
    expect(() => createTokens({ secret: short, ...parties, ttlSeconds: 60, clock })).toThrow(
      'at least 32 bytes',
    );
  });
});
