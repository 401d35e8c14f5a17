import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/database.ts';
import { type Divination, type Session, startDivination } from './harness.ts';
import { fileForm, jpeg, png, wav, webp } from './media.ts';

const MiB = 1024 * 1024;

let service: Divination;
afterEach(() => service?.close());

/** The storage's directory made unusable (a file in its place), or `gone`, until `restore()`. */
function breakStorage(how: 'file' | 'gone') {
  const directory = service.storageDirectory;
  renameSync(directory, `${directory}.aside`);
  if (how === 'file') {
    writeFileSync(directory, 'not a directory');
  }
  return () => {
    rmSync(directory, { force: true });
    renameSync(`${directory}.aside`, directory);
  };
}

const problem = (reply: { status: number; body: { code?: string } }) => ({
  status: reply.status,
  code: reply.body.code,
});

/** A transcription form without its file. */
function languageOnly(): FormData {
  const form = new FormData();
  form.set('language', 'zh');
  return form;
}

describe('transcriptions', () => {
  const transcribe = (session: Session, form: FormData) =>
    service.request('POST', '/agent/audio/transcriptions', { token: session.accessToken, form });

  it('transcribes a WAV recording and tells its length', async () => {
    service = await startDivination();
    const session = await service.signIn();
    const reply = await transcribe(
      session,
      fileForm(wav(3200), 'audio/wav', 'q.wav', { language: 'en' }),
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ text: '(3.2 s of audio)', duration_ms: 3200 });
  });

  it.each([
    ['an MP3', () => fileForm(png(), 'audio/mpeg', 'q.mp3'), 400, 'AGENT_AUDIO_UNSUPPORTED_FORMAT'],
    ['a PNG called WAV', () => fileForm(png(), 'audio/wav'), 400, 'AGENT_AUDIO_UNSUPPORTED_FORMAT'],
    [
      'a WAV without samples',
      () => fileForm(wav(1000).subarray(0, 36), 'audio/wav'),
      400,
      'AGENT_AUDIO_UNSUPPORTED_FORMAT',
    ],
    ['over 10 MiB', () => fileForm(wav(655_400), 'audio/wav'), 400, 'AGENT_AUDIO_TOO_LARGE'],
    ['an empty file', () => fileForm(new Uint8Array(), 'audio/wav'), 400, 'AGENT_AUDIO_EMPTY'],
    ['a silent nothing', () => fileForm(wav(0), 'audio/wav'), 400, 'AGENT_AUDIO_EMPTY'],
    ['no file', () => languageOnly(), 422, 'REQUEST_VALIDATION_ERROR'],
    [
      'another language',
      () => fileForm(wav(100), 'audio/wav', 'q.wav', { language: 'fr' }),
      422,
      'REQUEST_VALIDATION_ERROR',
    ],
  ] as [string, () => FormData, number, string][])(
    'refuses %s',
    async (_case, form, status, code) => {
      service = await startDivination();
      const reply = await transcribe(await service.signIn(), form());
      expect(problem(reply)).toEqual({ status, code });
      if (code === 'AGENT_AUDIO_TOO_LARGE') {
        expect(reply.body.max_bytes).toBe(10 * MiB);
      }
      if (code === 'AGENT_AUDIO_UNSUPPORTED_FORMAT') {
        expect(reply.body.accepted).toContain('audio/wav');
      }
    },
  );

  it.each(['failing', 'slow'] as const)('answers 502 when the ASR is %s', async (mode) => {
    service = await startDivination();
    const session = await service.signIn();
    service.asr.setMode(mode);
    const reply = await transcribe(session, fileForm(wav(500), 'audio/wav'));
    expect(problem(reply)).toEqual({ status: 502, code: 'AGENT_ASR_UNAVAILABLE' });
  });
});

describe('attachments', () => {
  const upload = (session: Session, bytes: Uint8Array, type: string) =>
    service.request('POST', '/agent/attachments', {
      token: session.accessToken,
      form: fileForm(bytes, type, 'photo'),
    });
  const sign = (session: Session, body: object) =>
    service.request('POST', '/agent/attachments/signed-urls', { token: session.accessToken, body });

  it.each([
    ['PNG', png(5 * MiB), 'image/png', /\.png$/],
    ['JPEG', jpeg(), 'image/jpeg', /\.jpg$/],
    ['WebP', webp(), 'image/webp', /\.webp$/],
  ])(
    'stores a %s under the user, readable through its signed URL',
    async (_kind, bytes, type, name) => {
      service = await startDivination();
      const session = await service.signIn();
      const reply = await upload(session, bytes, type);
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({
        bucket: 'attachments',
        content_type: type,
        size_bytes: bytes.byteLength,
        expires_at: new Date(service.clock.now().getTime() + 3600_000).toISOString(),
      });
      expect(reply.body.path).toMatch(new RegExp(`^users/${session.user.id}/attachments/att_`));
      expect(reply.body.path).toMatch(name);
      const read = await fetch(reply.body.url);
      expect(read.headers.get('content-type')).toBe(type);
      expect(Buffer.from(await read.arrayBuffer()).equals(bytes)).toBe(true);
      const rows = await service.db.selectFrom('attachments').selectAll().execute();
      expect(rows).toMatchObject([
        { user_id: session.user.id, path: reply.body.path, size: bytes.byteLength },
      ]);
    },
  );

  it.each([
    [
      'over 5 MiB',
      png(5 * MiB + 1),
      'image/png',
      413,
      'AGENT_ATTACHMENT_TOO_LARGE',
      { max_bytes: 5 * MiB },
    ],
    [
      'a ZIP',
      png(),
      'application/zip',
      422,
      'AGENT_ATTACHMENT_UNSUPPORTED_TYPE',
      { content_type: 'application/zip' },
    ],
    [
      'a JPEG called PNG',
      jpeg(),
      'image/png',
      422,
      'AGENT_ATTACHMENT_UNSUPPORTED_TYPE',
      { content_type: 'image/png' },
    ],
    [
      'a PNG called WebP',
      png(),
      'image/webp',
      422,
      'AGENT_ATTACHMENT_UNSUPPORTED_TYPE',
      { content_type: 'image/webp' },
    ],
    ['an empty file', new Uint8Array(), 'image/png', 422, 'AGENT_ATTACHMENT_EMPTY', {}],
  ])('refuses %s', async (_case, bytes, type, status, code, details) => {
    service = await startDivination();
    const reply = await upload(await service.signIn(), bytes, type);
    expect(problem(reply)).toEqual({ status, code });
    expect(reply.body).toMatchObject(details);
    expect(await service.db.selectFrom('attachments').selectAll().execute()).toEqual([]);
  });

  it.each([
    ['unusable', 'file', 502, 'AGENT_ATTACHMENT_UPLOAD_FAILED'],
    ['gone', 'gone', 503, 'AGENT_ATTACHMENT_STORAGE_UNAVAILABLE'],
  ] as const)('keeps nothing when the storage is %s', async (_case, how, status, code) => {
    service = await startDivination();
    const session = await service.signIn();
    const restore = breakStorage(how);
    expect(problem(await upload(session, png(), 'image/png'))).toEqual({ status, code });
    restore();
    expect(await service.db.selectFrom('attachments').selectAll().execute()).toEqual([]);
    expect(existsSync(join(service.storageDirectory, 'users'))).toBe(false);
  });

  it('signs URLs to the caller’s attachments only, until they expire', async () => {
    service = await startDivination();
    const [alice, bob] = [await service.signIn(), await service.signIn()];
    const { path } = (await upload(alice, png(), 'image/png')).body;
    const signed = await sign(alice, { bucket: 'attachments', path, expires_in: 120 });
    expect(signed.status).toBe(200);
    expect(signed.body.expires_at).toBe(
      new Date(service.clock.now().getTime() + 120_000).toISOString(),
    );
    expect((await fetch(signed.body.url)).status).toBe(200);
    service.clock.advance(120);
    expect((await fetch(signed.body.url)).status).toBe(403);
    const cases: [object, number, string][] = [
      [{ bucket: 'attachments', path }, 422, 'AGENT_ATTACHMENT_PATH_SCOPE_INVALID'],
      [{ bucket: 'avatars', path }, 422, 'AGENT_ATTACHMENT_BUCKET_INVALID'],
      [{ bucket: 'public-assets', path }, 422, 'AGENT_ATTACHMENT_BUCKET_INVALID'],
      [
        {
          bucket: 'attachments',
          path: `users/${bob.user.id}/attachments/../../${alice.user.id}/attachments/x.png`,
        },
        422,
        'AGENT_ATTACHMENT_PATH_SCOPE_INVALID',
      ],
      [
        { bucket: 'attachments', path: `users/${bob.user.id}/avatar/av_1.png` },
        422,
        'AGENT_ATTACHMENT_PATH_SCOPE_INVALID',
      ],
      [
        { bucket: 'attachments', path: `users/${bob.user.id}/attachments/none.png` },
        502,
        'AGENT_SIGNED_URL_GENERATION_FAILED',
      ],
      [{ bucket: 'attachments', path, expires_in: 59 }, 422, 'REQUEST_VALIDATION_ERROR'],
    ];
    for (const [body, status, code] of cases) {
      expect({ body, ...problem(await sign(bob, body)) }).toEqual({ body, status, code });
    }
    const refused = await sign(bob, { bucket: 'attachments', path });
    expect(refused.body.path).toBe(path);
  });

  it('answers 503 when the storage is gone while signing', async () => {
    service = await startDivination();
    const session = await service.signIn();
    const { path } = (await upload(session, png(), 'image/png')).body;
    const restore = breakStorage('gone');
    const reply = await sign(session, { bucket: 'attachments', path });
    expect(problem(reply)).toEqual({ status: 503, code: 'AGENT_ATTACHMENT_STORAGE_UNAVAILABLE' });
    restore();
    expect((await sign(session, { bucket: 'attachments', path })).status).toBe(200);
  });
});

describe.each(testDatabases)('avatars on %s', (database) => {
  const uploadUrl = (session: Session, body: object) =>
    service.request('POST', '/profile/avatar/upload-url', { token: session.accessToken, body });
  const setAvatar = (session: Session, path: string) =>
    service.request('PUT', '/profile/avatar', { token: session.accessToken, body: { path } });
  const put = (url: string, bytes: Uint8Array, type: string) =>
    fetch(url, { method: 'PUT', headers: { 'content-type': type }, body: new Uint8Array(bytes) });

  it('takes an upload to a signed URL, then shows it signed in the profile', async () => {
    service = await startDivination({ database });
    const session = await service.signIn();
    const bytes = jpeg(2000);
    const target = await uploadUrl(session, { content_type: 'image/jpeg', size_bytes: 2000 });
    expect(target.status).toBe(200);
    expect(target.body.path).toMatch(new RegExp(`^users/${session.user.id}/avatar/av_\\w+\\.jpg$`));
    expect((await put(target.body.upload_url, jpeg(2001), 'image/jpeg')).status).toBe(413);
    expect((await put(target.body.upload_url, png(2000), 'image/png')).status).toBe(415);
    expect((await put(target.body.upload_url, bytes, 'image/jpeg')).status).toBe(201);
    service.clock.advance(10);
    const set = await setAvatar(session, target.body.path);
    expect(set.status).toBe(200);
    expect(set.body.updated_at).toBe(service.clock.now().toISOString());
    const profile = await service.request('GET', '/profile', { token: session.accessToken });
    const avatar = await fetch(profile.body.avatar_url);
    expect(Buffer.from(await avatar.arrayBuffer()).equals(bytes)).toBe(true);
    const me = await service.request('GET', '/auth/me', { token: session.accessToken });
    expect((await fetch(me.body.avatar_url)).status).toBe(200);
    service.clock.advance(3600);
    expect((await fetch(profile.body.avatar_url)).status).toBe(403);
  });

  it.each([
    [{ content_type: 'image/gif', size_bytes: 100 }, 'AVATAR_FILE_INVALID'],
    [{ content_type: 'image/png', size_bytes: 5 * MiB + 1 }, 'AVATAR_FILE_INVALID'],
    [{ content_type: 'image/png', size_bytes: 0 }, 'REQUEST_VALIDATION_ERROR'],
    [{ content_type: 'image/png' }, 'REQUEST_VALIDATION_ERROR'],
  ])('refuses an upload URL for %j', async (body, code) => {
    service = await startDivination({ database });
    const reply = await uploadUrl(await service.signIn(), body);
    expect(problem(reply)).toEqual({ status: 422, code });
    if (code === 'AVATAR_FILE_INVALID') {
      expect(reply.body).toMatchObject({
        accepted: ['image/png', 'image/jpeg', 'image/webp'],
        max_bytes: 5 * MiB,
      });
    }
  });

  it('gives no upload URL while the storage is gone', async () => {
    service = await startDivination({ database });
    const session = await service.signIn();
    const restore = breakStorage('gone');
    const reply = await uploadUrl(session, { content_type: 'image/png', size_bytes: 100 });
    expect(problem(reply)).toEqual({ status: 502, code: 'AVATAR_SIGNED_URL_FAILED' });
    restore();
    expect((await uploadUrl(session, { content_type: 'image/png', size_bytes: 100 })).status).toBe(
      200,
    );
  });

  it('sets only an uploaded image of the caller’s own', async () => {
    service = await startDivination({ database });
    const [alice, bob] = [await service.signIn(), await service.signIn()];
    const target = await uploadUrl(alice, { content_type: 'image/png', size_bytes: 100 });
    const cases: [Session, string, string][] = [
      [alice, target.body.path, 'AVATAR_FILE_INVALID'], // not uploaded yet
      [bob, target.body.path, 'AVATAR_PATH_SCOPE_INVALID'],
      [alice, `users/${alice.user.id}/attachments/att_1.png`, 'AVATAR_PATH_SCOPE_INVALID'],
      [
        alice,
        `users/${alice.user.id}/avatar/../../${bob.user.id}/avatar/x.png`,
        'AVATAR_PATH_SCOPE_INVALID',
      ],
    ];
    for (const [session, path, code] of cases) {
      expect({ path, ...problem(await setAvatar(session, path)) }).toEqual({
        path,
        status: 422,
        code,
      });
    }
    await put(target.body.upload_url, png(100), 'image/png');
    expect((await setAvatar(alice, target.body.path)).status).toBe(200);
  });

  it('takes an avatar through the API, and replaces the previous one', async () => {
    service = await startDivination({ database });
    const session = await service.signIn();
    const upload = (bytes: Uint8Array, type: string) =>
      service.request('POST', '/profile/avatar', {
        token: session.accessToken,
        form: fileForm(bytes, type, 'me'),
      });
    const first = await upload(png(), 'image/png');
    expect(first.status).toBe(200);
    expect(first.body.avatar_url).toMatch(/\/avatars\/users\/u_\w+\/avatar\/av_\w+\.png\?/);
    const firstPath = (
      await service.db.selectFrom('users').select('avatar_path').executeTakeFirstOrThrow()
    ).avatar_path;
    const second = await upload(webp(), 'image/webp');
    expect(second.status).toBe(200);
    expect((await fetch(second.body.avatar_url)).headers.get('content-type')).toBe('image/webp');
    expect((await fetch(first.body.avatar_url)).status).toBe(404);
    expect(existsSync(join(service.storageDirectory, firstPath as string))).toBe(false);
    for (const [bytes, type] of [
      [png(5 * MiB + 1), 'image/png'],
      [png(), 'image/gif'],
      [jpeg(), 'image/webp'],
      [new Uint8Array(), 'image/png'],
    ] as const) {
      const refused = await upload(bytes, type);
      expect(problem(refused)).toEqual({ status: 422, code: 'AVATAR_FILE_INVALID' });
      expect(refused.body).toMatchObject({ max_bytes: 5 * MiB });
    }
    const restore = breakStorage('file');
    expect(problem(await upload(png(), 'image/png'))).toEqual({
      status: 502,
      code: 'AVATAR_UPLOAD_FAILED',
    });
    restore();
    const profile = await service.request('GET', '/profile', { token: session.accessToken });
    expect(new URL(profile.body.avatar_url).pathname).toBe(
      new URL(second.body.avatar_url).pathname,
    );
  });

  it('answers PROFILE_NOT_FOUND for an account deleted while its token lives', async () => {
    service = await startDivination({ database });
    const session = await service.signIn();
    const target = await uploadUrl(session, { content_type: 'image/png', size_bytes: 100 });
    await put(target.body.upload_url, png(100), 'image/png');
    expect(
      (await service.request('DELETE', '/profile', { token: session.accessToken })).status,
    ).toBe(204);
    const form = fileForm(png(), 'image/png');
    const uploaded = await service.request('POST', '/profile/avatar', {
      token: session.accessToken,
      form,
    });
    expect(problem(uploaded)).toEqual({ status: 404, code: 'PROFILE_NOT_FOUND' });
    expect(problem(await setAvatar(session, target.body.path))).toEqual({
      status: 404,
      code: 'PROFILE_NOT_FOUND',
    });
    const attachment = await service.request('POST', '/agent/attachments', {
      token: session.accessToken,
      form,
    });
    expect(problem(attachment)).toEqual({ status: 401, code: 'AUTH_UNAUTHORIZED' });
    expect(existsSync(join(service.storageDirectory, 'users', session.user.id))).toBe(false);
  });
});
