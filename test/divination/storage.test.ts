import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isStorageUnavailableError,
  isStorageWriteError,
  objectPath,
  ownerOf,
  type Storage,
  startLocalStorage,
} from '../../src/divination/storage.ts';
import { TestClock } from '../support/clock.ts';
import { jpeg, png, webp } from './media.ts';

const secret = new TextEncoder().encode('a storage secret of thirty-two bytes');
const alice = 'users/u_alice/attachments/att_1.png';
const aliceAvatar = 'users/u_alice/avatar/av_1.png';

type Local = Awaited<ReturnType<typeof startLocalStorage>>;
let started: Local[] = [];
afterEach(async () => {
  await Promise.all(started.map((local) => local.close()));
  started = [];
});

async function start(
  options: { directory?: string; publicUrl?: string; secret?: Uint8Array } = {},
) {
  const clock = new TestClock();
  const local = await startLocalStorage({ secret, clock, ...options });
  started.push(local);
  return { ...local, clock };
}

const temporaryDirectory = () => join(mkdtempSync(join(tmpdir(), 'storage-')), 'storage');

/** The first error a promise rejects with. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error) => error,
  );

describe('object paths', () => {
  it.each([
    ['attachments', alice, 'u_alice'],
    ['avatars', aliceAvatar, 'u_alice'],
    ['attachments', 'users/u_B-2_x/attachments/a.b.c.jpg', 'u_B-2_x'],
    ['avatars', alice, undefined],
    ['attachments', aliceAvatar, undefined],
    ['public-assets', alice, undefined],
    ['attachments', 'users/u_alice/attachments/../../u_bob/attachments/1.png', undefined],
    ['attachments', 'users/u_alice/attachments/.tmp-1', undefined],
    ['attachments', 'users/u_alice/attachments/', undefined],
    ['attachments', 'users/u_alice/attachments/a/b.png', undefined],
    ['attachments', '/users/u_alice/attachments/1.png', undefined],
    ['attachments', 'users/../attachments/1.png', undefined],
    ['attachments', 'u_alice/attachments/1.png', undefined],
    ['attachments', '', undefined],
  ])('%s %j belongs to %s', (bucket, path, owner) => {
    expect(ownerOf(bucket, path)).toBe(owner);
  });

  it('places each bucket in its folder of the scope', () => {
    expect(objectPath('attachments', 'u_alice', 'att_1.png')).toBe(alice);
    expect(objectPath('avatars', 'u_alice', 'av_1.png')).toBe(aliceAvatar);
  });
});

describe('signed URLs', () => {
  it('inspects what a URL claims', async () => {
    const local = await start();
    const other = await start({
      secret: new TextEncoder().encode('another secret, thirty-two bytes!'),
    });
    const { url } = local.storage.signedUrl('attachments', alice, 60);
    const tampered = (change: (url: URL) => void) => {
      const copy = new URL(url);
      change(copy);
      return copy.toString();
    };
    const cases: [string, string, object][] = [
      [
        'its own',
        url,
        {
          hostAllowed: true,
          bucket: 'attachments',
          path: alice,
          signatureValid: true,
          expired: false,
        },
      ],
      [
        'another path',
        tampered((copy) => {
          copy.pathname = '/attachments/users/u_bob/attachments/att_1.png';
        }),
        { hostAllowed: true, path: 'users/u_bob/attachments/att_1.png', signatureValid: false },
      ],
      [
        'another bucket',
        tampered((copy) => {
          copy.pathname = `/public-assets/${alice}`;
        }),
        { hostAllowed: true, bucket: 'public-assets', signatureValid: false },
      ],
      [
        'a later expiry',
        tampered((copy) => copy.searchParams.set('X-Expires', String(2e9))),
        { signatureValid: false, expired: false },
      ],
      [
        'no signature',
        tampered((copy) => copy.searchParams.delete('X-Signature')),
        { hostAllowed: true, signatureValid: false },
      ],
      [
        'another host',
        url.replace('127.0.0.1', 'localhost'),
        { hostAllowed: false, signatureValid: false },
      ],
      [
        'another storage',
        other.storage.signedUrl('attachments', alice).url,
        { hostAllowed: false },
      ],
      [
        'an upload URL',
        local.storage.signedUploadUrl('avatars', aliceAvatar).url,
        { hostAllowed: true, bucket: 'avatars', path: aliceAvatar, signatureValid: false },
      ],
      ['no URL', 'not a url', { hostAllowed: false, signatureValid: false, expired: false }],
    ];
    for (const [name, candidate, expected] of cases) {
      expect({ name, ...local.storage.inspectUrl(candidate) }).toMatchObject({ name, ...expected });
    }
    local.clock.advance(60);
    expect(local.storage.inspectUrl(url)).toMatchObject({ signatureValid: true, expired: true });
  });

  it('signs URLs of the public origin when one is set', async () => {
    const local = await start({ publicUrl: 'https://storage.example.com/files/' });
    const { url, expiresAt } = local.storage.signedUrl('attachments', alice);
    expect(url).toMatch(/^https:\/\/storage\.example\.com\/files\/attachments\/users\/u_alice\//);
    expect(expiresAt.getTime() - local.clock.now().getTime()).toBe(3600_000);
    expect(local.storage.inspectUrl(url)).toMatchObject({
      hostAllowed: true,
      allowedHosts: ['storage.example.com'],
      signatureValid: true,
    });
    const direct = url.replace('https://storage.example.com/files', local.url);
    expect(local.storage.inspectUrl(direct).hostAllowed).toBe(false);
    // The server behind the public origin answers the same object at its root.
    await local.storage.put('attachments', alice, png(), 'image/png');
    expect((await fetch(direct)).status).toBe(200);
  });

  it('refuses to sign what is no object path', async () => {
    const { storage } = await start();
    expect(() => storage.signedUrl('attachments', aliceAvatar)).toThrow(/not an object/);
  });
});

describe('the storage server', () => {
  it.each([
    ['in memory', undefined],
    ['on disk', temporaryDirectory()],
  ])('serves signed GETs %s until they expire', async (_where, directory) => {
    const local = await start({ directory });
    const bytes = png(100);
    await local.storage.put('attachments', alice, bytes, 'image/png');
    const { url } = local.storage.signedUrl('attachments', alice, 120);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(new Uint8Array(bytes));
    const absent = local.storage.signedUrl('attachments', 'users/u_alice/attachments/none.png');
    expect((await fetch(absent.url)).status).toBe(404);
    expect((await fetch(url.replace('att_1', 'att_2'))).status).toBe(403);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(405);
    local.clock.advance(119);
    expect((await fetch(url)).status).toBe(200);
    local.clock.advance(1);
    expect((await fetch(url)).status).toBe(403);
  });

  it.each([
    ['the declared type', 'image/png', png(100), 201],
    ['the declared size at most', 'image/png', png(99), 201],
    ['another type', 'image/jpeg', jpeg(100), 415],
    ['bytes that are not the type', 'image/png', jpeg(100), 415],
    ['more than declared', 'image/png', png(101), 413],
    ['nothing', 'image/png', new Uint8Array(), 415],
  ])('takes a signed PUT of %s', async (_case, type, bytes, status) => {
    const local = await start();
    const declared = { contentType: 'image/png', maxBytes: 100 };
    const { url } = local.storage.signedUploadUrl('avatars', aliceAvatar, 60, declared);
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': type },
      body: new Uint8Array(bytes),
    });
    expect(put.status).toBe(status);
    expect(await local.storage.exists('avatars', aliceAvatar)).toBe(status === 201);
  });

  it('takes an image of any kind at most 5 MiB without declared limits, and only while signed', async () => {
    const local = await start();
    const { url } = local.storage.signedUploadUrl('avatars', aliceAvatar, 60);
    const put = (body: Uint8Array, type = 'image/webp') =>
      fetch(url, { method: 'PUT', headers: { 'content-type': type }, body: new Uint8Array(body) });
    expect((await put(webp())).status).toBe(201);
    expect((await put(png(5 * 1024 * 1024 + 1), 'image/png')).status).toBe(413);
    expect((await put(png(), 'text/plain')).status).toBe(415);
    const read = local.storage.signedUrl('avatars', aliceAvatar);
    expect((await fetch(read.url, { method: 'PUT', body: webp() })).status).toBe(403);
    local.clock.advance(60);
    expect((await put(webp())).status).toBe(403);
  });
});

describe('objects on disk', () => {
  it('keeps each user under one folder and removes it at once', async () => {
    const directory = temporaryDirectory();
    const { storage } = await start({ directory });
    const bob = 'users/u_bob/attachments/att_1.png';
    await storage.put('attachments', alice, png(), 'image/png');
    await storage.put('avatars', aliceAvatar, png(), 'image/png');
    await storage.put('attachments', bob, png(), 'image/png');
    expect(readdirSync(join(directory, 'users', 'u_alice')).sort()).toEqual([
      'attachments',
      'avatar',
    ]);
    expect(readdirSync(directory)).toEqual(['users']); // nothing left aside
    await storage.deleteScope('u_alice');
    await storage.deleteScope('u_nobody');
    expect(await storage.exists('attachments', alice)).toBe(false);
    expect(await storage.exists('avatars', aliceAvatar)).toBe(false);
    expect(await storage.exists('attachments', bob)).toBe(true);
    expect(readdirSync(directory)).toEqual(['users']);
    await storage.delete('attachments', bob);
    await storage.delete('attachments', bob);
    expect(await storage.exists('attachments', bob)).toBe(false);
  });

  it('keeps objects across a restart, and clears what a run cut short left', async () => {
    const directory = temporaryDirectory();
    const first = await start({ directory });
    await first.storage.put('attachments', alice, jpeg(), 'image/jpeg');
    writeFileSync(join(directory, '.tmp-left'), 'partial');
    mkdirSync(join(directory, '.removed-left'));
    const second = await start({ directory });
    expect(readdirSync(directory)).toEqual(['users']);
    const got = await fetch(second.storage.signedUrl('attachments', alice).url);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
  });

  it('is unavailable without its directory, and fails writes to one that is no directory', async () => {
    const directory = temporaryDirectory();
    const { storage } = await start({ directory });
    await storage.put('attachments', alice, png(), 'image/png');
    const { url } = storage.signedUrl('attachments', alice);
    renameSync(directory, `${directory}.aside`);
    for (const attempt of [
      storage.put('attachments', alice, png(), 'image/png'),
      storage.exists('attachments', alice),
      storage.delete('attachments', alice),
      storage.deleteScope('u_alice'),
    ]) {
      expect(isStorageUnavailableError(await failure(attempt))).toBe(true);
    }
    expect(() => storage.signedUploadUrl('avatars', aliceAvatar)).toThrow(/is gone/);
    expect((await fetch(url)).status).toBe(503);
    writeFileSync(directory, 'not a directory');
    for (const attempt of [
      storage.put('attachments', alice, png(), 'image/png'),
      storage.deleteScope('u_alice'),
    ]) {
      expect(isStorageWriteError(await failure(attempt))).toBe(true);
    }
    expect(isStorageUnavailableError(await failure(storage.exists('attachments', alice)))).toBe(
      true,
    );
    expect((await fetch(url)).status).toBe(503);
    rmSync(directory);
    renameSync(`${directory}.aside`, directory);
    expect(await storage.exists('attachments', alice)).toBe(true);
    expect((await fetch(url)).status).toBe(200);
  });
});

describe('a stopped storage server', () => {
  it('makes the storage unavailable', async () => {
    const local = await start();
    const storage: Storage = local.storage;
    await storage.put('attachments', alice, png(), 'image/png');
    const { url } = storage.signedUrl('attachments', alice);
    await local.close();
    started = [];
    for (const attempt of [
      storage.put('attachments', alice, png(), 'image/png'),
      storage.exists('attachments', alice),
      storage.deleteScope('u_alice'),
    ]) {
      expect(isStorageUnavailableError(await failure(attempt))).toBe(true);
    }
    expect(() => storage.signedUploadUrl('avatars', aliceAvatar)).toThrow(/stopped/);
    await expect(fetch(url)).rejects.toThrow();
  });
});
