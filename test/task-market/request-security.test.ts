import { gzipSync } from 'node:zlib';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { catalog } from '../../generated/task-market/errors.ts';
import { sign } from '../../src/task-market/auth.ts';
import { taskMarketConfig } from '../../src/task-market/config.ts';
import { taskMarket } from '../../src/task-market/index.ts';
import { startService } from '../support/service.ts';
import { type Market, type MarketOptions, type Session, startMarket } from './harness.ts';

// The review's findings on requests: replays, limits, tokens, signatures, headers and defaults.
// Each test failed on the code the review read.

/** A catalog entry's wire code, by name, as a body carries it. */
function code(name: string) {
  const entry = catalog.errors.find((error) => error.name === name);
  if (!entry) {
    throw new Error(`no ${name} in the catalog`);
  }
  return { code: entry.code };
}

const secret = 'a-token-secret-of-at-least-32-bytes!';
let market: Market;
let a: Session;

async function start(options: MarketOptions = {}) {
  market = await startMarket({ ...options, config: { tokenSecret: secret, ...options.config } });
  [a] = (await market.signInAll()) as [Session];
}
afterEach(() => market?.close());

const task = (market: Market) => ({
  title: 'Summarise three papers',
  bounty: 50,
  deadline: new Date(market.clock.now().getTime() + 86_400_000).toISOString(),
});

/** The headers of a write signed by hand, with what the harness would not send. */
function signed(
  session: Session,
  path: string,
  body: Buffer | string,
  headers: { timestamp?: string; contentType?: string; idempotencyKey?: string } = {},
) {
  const timestamp = headers.timestamp ?? String(Math.floor(market.clock.now().getTime() / 1000));
  const contentType = headers.contentType ?? 'application/json';
  return {
    authorization: `Bearer ${session.token}`,
    'content-type': contentType,
    'x-timestamp': timestamp,
    ...(headers.idempotencyKey && { 'idempotency-key': headers.idempotencyKey }),
    'x-signature': sign(session.signingKey, {
      method: 'POST',
      path: `/task-market${path}`,
      timestamp,
      contentType,
      contentEncoding: '',
      idempotencyKey: headers.idempotencyKey ?? '',
      body,
    }),
  };
}

async function frozen(session: Session) {
  return (await market.request('GET', '/points', { session })).body.data.frozen;
}

describe('a signed write sent again (replay)', () => {
  it('publishes once, and refuses the copies as replayed signatures', async () => {
    await start();
    const raw = JSON.stringify(task(market));
    const headers = signed(a, '/tasks', raw);
    const replies = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      replies.push(await market.request('POST', '/tasks', { raw, headers, signed: false }));
    }
    expect(replies.map((reply) => reply.status)).toEqual([201, 401, 401]);
    expect(replies[2]?.body).toMatchObject({
      ...code('SIGNATURE_INVALID'),
      details: { header: 'X-Signature', problem: 'replayed' },
    });
    expect(await frozen(a)).toBe(50);
  });

  it('answers a retry with the same Idempotency-Key as the first, even within its second', async () => {
    await start();
    const raw = JSON.stringify(task(market));
    const send = () =>
      market.request('POST', '/tasks', {
        raw,
        headers: signed(a, '/tasks', raw, { idempotencyKey: 'publish-1' }),
        signed: false,
      });
    const first = await send();
    const retry = await send(); // byte for byte the same, signature included

    expect(retry.status).toBe(201);
    expect(retry.body.data).toEqual(first.body.data);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await frozen(a)).toBe(50);
  });

  it('refuses an Idempotency-Key used for another request', async () => {
    await start();
    await market.request('POST', '/tasks', {
      session: a,
      body: task(market),
      headers: { 'idempotency-key': 'publish-2' },
    });
    const other = await market.request('POST', '/tasks', {
      session: a,
      body: { ...task(market), bounty: 60 },
      headers: { 'idempotency-key': 'publish-2' },
    });
    expect(other.body).toMatchObject({
      ...code('INVALID_PARAMETER'),
      details: { field: 'Idempotency-Key' },
    });
    expect(await frozen(a)).toBe(50);
  });
});

describe('limits before anything else', () => {
  it('counts every request of a client, with or without credentials, and refuses past it', async () => {
    await start({ config: { clientRateLimit: { limit: 6, windowSeconds: 60 } } });
    // Signing the three agents in took three.
    const requests = [
      () => market.request('GET', '/nowhere'),
      () => market.request('GET', '/points', { headers: { authorization: 'Bearer x' } }),
      () => market.request('POST', '/tasks', { raw: '{"title": ' }),
      () => market.request('GET', '/points', { session: a }),
    ];
    const replies = [];
    for (const send of requests) {
      replies.push(await send());
    }
    expect(replies.map((reply) => reply.body.code)).toEqual([
      code('RESOURCE_NOT_FOUND').code,
      code('TOKEN_INVALID').code,
      code('AUTH_REQUIRED').code,
      code('RATE_LIMITED').code,
    ]);
    expect(replies[3]?.headers.get('retry-after')).toBe(
      String(replies[3]?.body.details.retry_after),
    );
  });

  it('refuses a body without credentials before reading it', async () => {
    await start();
    const reply = await market.request('POST', '/tasks', { raw: 'x'.repeat(2 * 1024 * 1024) });
    expect(reply.body).toMatchObject(code('AUTH_REQUIRED'));
  });

  it("refuses an agent's sign-ins after its failures, even with the right secret", async () => {
    await start({ config: { signInFailures: { limit: 2, windowSeconds: 900 } } });
    const agent = market.agents[1];
    const signIn = (secret: string | undefined) =>
      market.request('POST', '/auth/token', { body: { agent_id: agent?.id, secret } });
    for (const guess of ['a-secret-openclaw-does-not-know', 'another-one-it-does-not-know']) {
      expect((await signIn(guess)).body).toMatchObject(code('OPENCLAW_AUTH_FAILED'));
    }
    expect((await signIn(agent?.secret)).body).toMatchObject(code('RATE_LIMITED'));
    market.clock.advance(900);
    expect((await signIn(agent?.secret)).status).toBe(200);
  });

  it('lets no more guesses reach OpenClaw than the limit, however many arrive at once', async () => {
    await start({ config: { signInFailures: { limit: 3, windowSeconds: 900 } } });
    const agent = market.agents[1];
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, guess) =>
        market.request('POST', '/auth/token', {
          body: { agent_id: agent?.id, secret: `a-guess-openclaw-does-not-know-${guess}` },
        }),
      ),
    );
    const checked = replies.filter(
      (reply) => reply.body.code === code('OPENCLAW_AUTH_FAILED').code,
    );
    expect(checked).toHaveLength(3);
  });
});

describe('tokens', () => {
  /** A token signed with the market's own secret, with the claims given. */
  const forged = (claims: Record<string, unknown>) =>
    new SignJWT({ iat: Math.floor(market.clock.now().getTime() / 1000), ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));
  const exp = () => Math.floor(market.clock.now().getTime() / 1000) + 600;
  const claims = () => ({
    sub: market.agents[0]?.id,
    jti: 'token-1',
    iss: 'api-contracts/task-market',
    aud: 'task-market',
    exp: exp(),
  });

  it.each([
    ['without exp', { exp: undefined }],
    ['without jti', { jti: undefined }],
    ['of another issuer', { iss: 'api-contracts/bot-agent' }],
    ['for another audience', { aud: 'bot-agent' }],
  ])('refuses a token %s', async (_what, change) => {
    await start();
    const token = await forged({ ...claims(), ...change });
    const reply = await market.request('GET', '/points', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(reply.body).toMatchObject(code('TOKEN_INVALID'));
  });

  it('refuses a configured secret shorter than 32 bytes', () => {
    expect(() => taskMarketConfig({ TASK_MARKET_TOKEN_SECRET: 'x' })).toThrow(
      'TASK_MARKET_TOKEN_SECRET must have at least 32 bytes',
    );
  });
});

describe('signatures', () => {
  it.each([
    ['in hexadecimal', (now: number) => `0x${now.toString(16)}`],
    ['with an exponent', (now: number) => `${now / 1e9}e9`],
    ['with a fraction', (now: number) => `${now}.5`],
  ])('refuses an X-Timestamp %s, however right its value', async (_what, spell) => {
    await start();
    const raw = JSON.stringify(task(market));
    const timestamp = spell(Math.floor(market.clock.now().getTime() / 1000));
    const headers = signed(a, '/tasks', raw, { timestamp });
    const reply = await market.request('POST', '/tasks', { raw, headers, signed: false });
    expect(reply.body).toMatchObject({
      ...code('SIGNATURE_INVALID'),
      details: { header: 'X-Timestamp', problem: 'stale' },
    });
  });

  it('refuses a request sent with another Content-Type than the one signed', async () => {
    await start();
    const raw = JSON.stringify(task(market));
    const headers = {
      ...signed(a, '/tasks', raw),
      'content-type': 'application/json; charset=utf-8',
    };
    const reply = await market.request('POST', '/tasks', { raw, headers, signed: false });
    expect(reply.body).toMatchObject({
      ...code('SIGNATURE_INVALID'),
      details: { problem: 'mismatch' },
    });
  });

  it('refuses a brief in another charset than UTF-8, whatever its signature', async () => {
    await start();
    const published = await market.publish(a);
    const reply = await market.request('PUT', `/tasks/${published.id}/task.md`, {
      session: a,
      raw: '# Résumé',
      contentType: 'text/markdown; charset=latin1',
    });
    expect(reply.body).toMatchObject(code('INVALID_FORMAT'));
    const task = await market.request('GET', `/tasks/${published.id}`, { session: a });
    expect(task.body.data.has_brief).toBe(false);
  });

  it('refuses an encoded body, whose signed bytes are not the ones read', async () => {
    await start();
    const response = await fetch(`${market.origin}/task-market/tasks`, {
      method: 'POST',
      headers: {
        ...signed(a, '/tasks', gzipSync(JSON.stringify(task(market)))),
        'content-encoding': 'gzip',
      },
      body: gzipSync(JSON.stringify(task(market))),
    });
    expect(await response.json()).toMatchObject(code('INVALID_FORMAT'));
  });
});

describe('headers and defaults', () => {
  it('keeps sign-in answers out of caches and downloads from being sniffed', async () => {
    await start();
    const agent = market.agents[0];
    const signIn = await market.request('POST', '/auth/token', {
      body: { agent_id: agent?.id, secret: agent?.secret },
    });
    expect(signIn.headers.get('cache-control')).toBe('no-store');
    const published = await market.publish(a);
    await market.request('PUT', `/tasks/${published.id}/task.md`, {
      session: a,
      raw: '# Brief',
      contentType: 'text/markdown',
    });
    const download = await market.request('GET', `/tasks/${published.id}/task.md`, { session: a });
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it.each([
    ['with the local stand-in', undefined, 2],
    ['with a real OpenClaw', 'http://127.0.0.1:9', 0],
  ])('provisions the demo agents %s: %s', async (_what, openclawUrl, agents) => {
    const service = await startService(taskMarket, {
      ...taskMarket.settings({}),
      database: ':memory:',
      openclawUrl,
    });
    try {
      const rows = await service.service.db.selectFrom('agents').select('id').execute();
      expect(rows).toHaveLength(agents);
    } finally {
      await service.close();
    }
  });
});
