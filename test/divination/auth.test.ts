import { afterEach, describe, expect, it } from 'vitest';
import { type Divination, startDivination } from './harness.ts';

const phone = '+8613900001111';

describe('sign-in, tokens and the current user', () => {
  let service: Divination;
  afterEach(() => service?.close());

  it('opens an account at the first sign-in, with its starting points', async () => {
    service = await startDivination();
    const session = await service.signIn(phone);
    expect(session.user).toMatchObject({
      id: expect.stringMatching(/^u_/),
      phone: '+86139****1111',
    });
    const points = await service.request('GET', '/points', { token: session.accessToken });
    expect(points.body).toEqual({ balance: 100, run_cost: 10 });
    const me = await service.request('GET', '/auth/me', { token: session.accessToken });
    expect(me.body.id).toBe(session.user.id);
  });

  it('rewards the inviter of a new user, once', async () => {
    service = await startDivination();
    const inviter = await service.signIn();
    const { body: invite } = await service.request('GET', '/invite-code', {
      token: inviter.accessToken,
    });
    await service.signIn(undefined, { invite_code: invite.code });
    const points = await service.request('GET', '/points', { token: inviter.accessToken });
    expect(points.body.balance).toBe(150);
    const unknown = await service.request('POST', '/auth/otp', { body: { phone } });
    expect(unknown.status).toBe(204);
    const refused = await service.request('POST', '/auth/sign-in', {
      body: { phone, code: service.authProvider.codes.get(phone), invite_code: 'ZZZZZZ' },
    });
    expect(refused.body.code).toBe('REQUEST_VALIDATION_ERROR');
  });

  it('texts one code a minute a phone', async () => {
    service = await startDivination();
    expect((await service.request('POST', '/auth/otp', { body: { phone } })).status).toBe(204);
    const again = await service.request('POST', '/auth/otp', { body: { phone } });
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ code: 'AUTH_TOO_MANY_REQUESTS', retry_after: 60 });
    expect(again.headers.get('retry-after')).toBe('60');
    service.clock.advance(61);
    expect((await service.request('POST', '/auth/otp', { body: { phone } })).status).toBe(204);
  });

  it('refuses wrong codes, then throttles the phone', async () => {
    service = await startDivination();
    await service.request('POST', '/auth/otp', { body: { phone } });
    const wrong = service.authProvider.codes.get(phone) === '000000' ? '111111' : '000000';
    const signIn = () => service.request('POST', '/auth/sign-in', { body: { phone, code: wrong } });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await signIn()).body.code).toBe('AUTH_VERIFICATION_CODE_INVALID');
    }
    expect((await signIn()).body.code).toBe('AUTH_TOO_MANY_REQUESTS');
  });

  it.each([
    ['failing', 503, 'AUTH_SERVICE_UNAVAILABLE'],
    ['slow', 503, 'AUTH_SERVICE_UNAVAILABLE'],
    ['throttling', 429, 'AUTH_TOO_MANY_REQUESTS'],
  ] as const)('answers a provider that is %s with %i', async (mode, status, code) => {
    service = await startDivination();
    service.authProvider.setMode(mode);
    const sent = await service.request('POST', '/auth/otp', { body: { phone } });
    expect({ status: sent.status, code: sent.body.code }).toEqual({ status, code });
    // Not sent: the minute is not used up.
    service.authProvider.setMode('ok');
    expect((await service.request('POST', '/auth/otp', { body: { phone } })).status).toBe(204);
  });

  it('rotates refresh tokens, and a reused one ends the whole sign-in', async () => {
    service = await startDivination();
    const first = await service.signIn();
    const refresh = (refresh_token: string) =>
      service.request('POST', '/auth/refresh', { body: { refresh_token } });
    const second = await refresh(first.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refreshToken);
    // Someone replays the first: it is refused, and the second stops working too.
    expect((await refresh(first.refreshToken)).body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
    expect((await refresh(second.body.refresh_token)).body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
  });

  it('ends a sign-in, and tells a missing refresh token from an invalid one', async () => {
    service = await startDivination();
    const session = await service.signIn();
    const signOut = (body: object) => service.request('POST', '/auth/sign-out', { body });
    expect((await signOut({})).body.code).toBe('AUTH_REFRESH_TOKEN_MISSING');
    expect((await signOut({ refresh_token: 'rt_unknown' })).body.code).toBe(
      'AUTH_REFRESH_TOKEN_INVALID',
    );
    expect((await signOut({ refresh_token: session.refreshToken })).status).toBe(204);
    const refreshed = await service.request('POST', '/auth/refresh', {
      body: { refresh_token: session.refreshToken },
    });
    expect(refreshed.body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
  });

  it('keeps a refresh token through a provider outage, and refuses it once the identity is disabled', async () => {
    service = await startDivination();
    const session = await service.signIn();
    const refresh = () =>
      service.request('POST', '/auth/refresh', { body: { refresh_token: session.refreshToken } });
    service.authProvider.setMode('failing');
    expect((await refresh()).body.code).toBe('AUTH_SERVICE_UNAVAILABLE');
    service.authProvider.setMode('ok');
    // The retry the 503 advises works: the token was not used up.
    const renewed = await refresh();
    expect(renewed.status).toBe(200);
    service.authProvider.block(session.phone);
    const blocked = await service.request('POST', '/auth/refresh', {
      body: { refresh_token: renewed.body.refresh_token },
    });
    expect(blocked.body.code).toBe('AUTH_REFRESH_TOKEN_INVALID');
  });

  it('refuses an unknown invite code without spending the one-time code', async () => {
    service = await startDivination();
    await service.request('POST', '/auth/otp', { body: { phone } });
    const code = service.authProvider.codes.get(phone);
    const signIn = (extra = {}) =>
      service.request('POST', '/auth/sign-in', { body: { phone, code, ...extra } });
    expect((await signIn({ invite_code: 'ZZZZZZ' })).body.code).toBe('REQUEST_VALIDATION_ERROR');
    expect((await signIn()).status).toBe(200);
  });

  it('mints no points for a phone that signs up again after deleting its account', async () => {
    service = await startDivination();
    const inviter = await service.signIn();
    const { body: invite } = await service.request('GET', '/invite-code', {
      token: inviter.accessToken,
    });
    const first = await service.signIn(phone, { invite_code: invite.code });
    await service.request('DELETE', '/profile', { token: first.accessToken });
    service.clock.advance(61);
    const again = await service.signIn(phone, { invite_code: invite.code });
    const balance = async (token: string) =>
      (await service.request('GET', '/points', { token })).body.balance;
    expect(await balance(again.accessToken)).toBe(0);
    expect(await balance(inviter.accessToken)).toBe(150);
  });

  it('expires access tokens', async () => {
    service = await startDivination();
    const session = await service.signIn();
    service.clock.advance(901);
    const me = await service.request('GET', '/auth/me', { token: session.accessToken });
    expect({ status: me.status, code: me.body.code }).toEqual({
      status: 401,
      code: 'AUTH_UNAUTHORIZED',
    });
  });

  it('tells a token of a deleted account, and a code sent before the deletion, that it is gone', async () => {
    service = await startDivination();
    const session = await service.signIn(phone);
    service.clock.advance(61);
    await service.request('POST', '/auth/otp', { body: { phone } });
    const deleted = await service.request('DELETE', '/profile', { token: session.accessToken });
    expect(deleted.status).toBe(204);
    const me = await service.request('GET', '/auth/me', { token: session.accessToken });
    expect(me.body.code).toBe('AUTH_USER_NOT_FOUND');
    const points = await service.request('GET', '/points', { token: session.accessToken });
    expect(points.body.code).toBe('AUTH_UNAUTHORIZED');
    const signIn = await service.request('POST', '/auth/sign-in', {
      body: { phone, code: service.authProvider.codes.get(phone) },
    });
    expect(signIn.body.code).toBe('AUTH_USER_NOT_FOUND');
  });
});
