import { afterEach, describe, expect, it } from 'vitest';
import {
  createAuthProvider,
  isAuthProviderThrottledError,
  isAuthProviderUnavailableError,
} from '../../src/divination/auth-provider.ts';
import {
  type AuthProviderStandIn,
  startAuthProviderStandIn,
} from '../../src/divination/auth-provider-standin.ts';

const phone = '+8613812345678';

describe('the auth provider client and its stand-in', () => {
  let standIn: AuthProviderStandIn;
  afterEach(() => standIn?.close());

  it('texts a code that verifies once', async () => {
    const texted: string[] = [];
    standIn = await startAuthProviderStandIn((_, code) => texted.push(code));
    const provider = createAuthProvider(standIn.url, 1000);
    await provider.sendCode(phone);
    expect(texted).toHaveLength(1);
    expect(texted[0]).toMatch(/^[0-9]{6}$/);
    expect(await provider.verifyCode(phone, texted[0] as string)).toBe(true);
    expect(await provider.verifyCode(phone, texted[0] as string)).toBe(false);
  });

  it('refuses a wrong code, and throttles after five', async () => {
    standIn = await startAuthProviderStandIn();
    const provider = createAuthProvider(standIn.url, 1000);
    await provider.sendCode(phone);
    const wrong = standIn.codes.get(phone) === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect(await provider.verifyCode(phone, wrong)).toBe(false);
    }
    const error = await provider.verifyCode(phone, wrong).catch((e: unknown) => e);
    expect(isAuthProviderThrottledError(error)).toBe(true);
  });

  it('tells whether an identity is active', async () => {
    standIn = await startAuthProviderStandIn();
    const provider = createAuthProvider(standIn.url, 1000);
    expect(await provider.isActive(phone)).toBe(true);
    standIn.block(phone);
    expect(await provider.isActive(phone)).toBe(false);
  });

  it.each([
    ['failing', isAuthProviderUnavailableError],
    ['slow', isAuthProviderUnavailableError],
    ['throttling', isAuthProviderThrottledError],
  ] as const)('turns a provider that is %s into its named error', async (mode, guard) => {
    standIn = await startAuthProviderStandIn();
    standIn.setMode(mode);
    const provider = createAuthProvider(standIn.url, 200);
    for (const call of [() => provider.sendCode(phone), () => provider.verifyCode(phone, '1')]) {
      expect(guard(await call().catch((error: unknown) => error))).toBe(true);
    }
  });

  it('is unavailable when nothing listens', async () => {
    standIn = await startAuthProviderStandIn();
    await standIn.close();
    const error = await createAuthProvider(standIn.url, 200)
      .sendCode(phone)
      .catch((e: unknown) => e);
    expect(isAuthProviderUnavailableError(error)).toBe(true);
  });
});
