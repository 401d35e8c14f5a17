import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../support/database.ts';
import { type Divination, type Session, startDivination } from './harness.ts';
import { fileForm, png } from './media.ts';

let service: Divination;
afterEach(() => service?.close());

const problem = (reply: { status: number; body: { code?: string } }) => ({
  status: reply.status,
  code: reply.body.code,
});

describe('the profile', () => {
  const patch = (session: Session, body: unknown) =>
    service.request('PATCH', '/profile', { token: session.accessToken, body });

  it('starts from the sign-up and takes changes', async () => {
    service = await startDivination();
    const session = await service.signIn();
    const profile = await service.request('GET', '/profile', { token: session.accessToken });
    expect(profile.body).toEqual({
      user_id: session.user.id,
      nickname: session.user.nickname,
      birth_date: null,
      gender: null,
      bio: '',
      avatar_url: null,
      updated_at: session.user.created_at,
    });
    service.clock.advance(5);
    const changed = await patch(session, {
      nickname: '  星河  ',
      bio: 'first line\nsecond line',
      birth_date: '2026-11-22',
      gender: 'other',
    });
    expect(changed.body).toMatchObject({
      nickname: '星河',
      bio: 'first line\nsecond line',
      birth_date: '2026-11-22',
      gender: 'other',
      updated_at: service.clock.now().toISOString(),
    });
    const cleared = await patch(session, { birth_date: null, gender: null });
    expect(cleared.body).toMatchObject({ nickname: '星河', birth_date: null, gender: null });
    const me = await service.request('GET', '/auth/me', { token: session.accessToken });
    expect(me.body.nickname).toBe('星河');
  });

  it.each([
    ['a nickname of spaces', { nickname: '   ' }, 'PROFILE_PAYLOAD_INVALID'],
    ['a nickname with a bell', { nickname: 'ding\u0007' }, 'PROFILE_PAYLOAD_INVALID'],
    ['a nickname on two lines', { nickname: 'two\nlines' }, 'PROFILE_PAYLOAD_INVALID'],
    ['a bio with a NUL', { bio: 'a\u0000b' }, 'PROFILE_PAYLOAD_INVALID'],
    ['a birth date to come', { birth_date: '2026-11-24' }, 'PROFILE_PAYLOAD_INVALID'],
    ['a birth date before 1900', { birth_date: '1899-12-31' }, 'PROFILE_PAYLOAD_INVALID'],
    ['an empty nickname', { nickname: '' }, 'REQUEST_VALIDATION_ERROR'],
    ['a nickname of 33 characters', { nickname: 'x'.repeat(33) }, 'REQUEST_VALIDATION_ERROR'],
    ['a bio of 201 characters', { bio: 'x'.repeat(201) }, 'REQUEST_VALIDATION_ERROR'],
    ['a day the calendar lacks', { birth_date: '2001-02-29' }, 'REQUEST_VALIDATION_ERROR'],
    ['another gender', { gender: 'unknown' }, 'REQUEST_VALIDATION_ERROR'],
    ['a number for a nickname', { nickname: 7 }, 'REQUEST_VALIDATION_ERROR'],
    ['an unknown field', { avatar_path: 'x' }, 'REQUEST_VALIDATION_ERROR'],
    ['nothing to change', {}, 'REQUEST_VALIDATION_ERROR'],
  ])('refuses %s with %s', async (_case, body, code) => {
    service = await startDivination();
    const session = await service.signIn();
    expect(problem(await patch(session, body))).toEqual({ status: 422, code });
    const profile = await service.request('GET', '/profile', { token: session.accessToken });
    expect(profile.body.updated_at).toBe(session.user.created_at);
  });

  it('takes a birth date that is today somewhere on Earth', async () => {
    // At 08:00Z it is 22:00 on the 22nd in UTC+14; at 10:00Z, the 23rd there.
    service = await startDivination();
    const session = await service.signIn();
    expect((await patch(session, { birth_date: '2026-11-22' })).status).toBe(200);
    expect((await patch(session, { birth_date: '2026-11-23' })).status).toBe(422);
    service.clock.advance(2 * 3600);
    const later = await service.signIn(session.phone);
    expect((await patch(later, { birth_date: '2026-11-23' })).status).toBe(200);
  });
});

/** Every row of each table that belongs to a user, by table. */
async function rowsOf(userId: string) {
  const { db } = service;
  const threads = db.selectFrom('agent_sessions').select('thread_id').where('user_id', '=', userId);
  const runs = db.selectFrom('agent_runs').select('run_id').where('user_id', '=', userId);
  return {
    sessions: await db
      .selectFrom('agent_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .execute(),
    messages: await db
      .selectFrom('agent_messages')
      .selectAll()
      .where('thread_id', 'in', threads)
      .execute(),
    runs: await db.selectFrom('agent_runs').selectAll().where('user_id', '=', userId).execute(),
    events: await db.selectFrom('run_events').selectAll().where('run_id', 'in', runs).execute(),
    toolCalls: await db
      .selectFrom('tool_calls')
      .selectAll()
      .where('user_id', '=', userId)
      .execute(),
    attachments: await db
      .selectFrom('attachments')
      .selectAll()
      .where('user_id', '=', userId)
      .execute(),
    notifications: await db
      .selectFrom('notifications')
      .selectAll()
      .where('user_id', '=', userId)
      .execute(),
    tokens: await db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .execute(),
  };
}

let serial = 0;

/** A user with a bit of everything: a session of a run, an attachment, an avatar, notifications. */
async function userWithData() {
  const session = await service.signIn();
  const userId = session.user.id;
  const now = service.clock.now().toISOString();
  const id = String(++serial).padStart(12, '0');
  const { db } = service;
  await db
    .insertInto('agent_sessions')
    .values({
      thread_id: `thr_${id}`,
      user_id: userId,
      title: 'A reading',
      method: 'tarot',
      user_message_count: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await db
    .insertInto('agent_messages')
    .values(
      [0, 1].map((position) => ({
        id: `msg_${id}_${position}`,
        thread_id: `thr_${id}`,
        position,
        role: position ? 'assistant' : 'user',
        content: 'text',
        tool_call_id: null,
        created_at: now,
      })),
    )
    .execute();
  await db
    .insertInto('agent_runs')
    .values({
      run_id: `run_${id}`,
      thread_id: `thr_${id}`,
      user_id: userId,
      status: 'finished',
      position: 0,
      lease_expires_at: null,
      created_at: now,
      ended_at: now,
    })
    .execute();
  await db
    .insertInto('run_events')
    .values({ run_id: `run_${id}`, seq: 1, data: '{}' })
    .execute();
  await db
    .insertInto('tool_calls')
    .values({
      id: `call_${id}`,
      run_id: `run_${id}`,
      user_id: userId,
      tool: 'draw_tarot_card',
      arguments: '{}',
      status: 'executed',
      requested_at: now,
      decided_at: now,
    })
    .execute();
  await addNotification(userId);
  const form = () => fileForm(png(), 'image/png');
  const token = session.accessToken;
  const attachment = await service.request('POST', '/agent/attachments', { token, form: form() });
  const avatar = await service.request('POST', '/profile/avatar', { token, form: form() });
  expect([attachment.status, avatar.status]).toEqual([201, 200]);
  return {
    ...session,
    attachmentUrl: attachment.body.url as string,
    avatarUrl: avatar.body.avatar_url as string,
  };
}

async function addNotification(userId: string, created = service.clock.now(), read = 0) {
  const id = `ntf_${String(++serial).padStart(10, '0')}`;
  await service.db
    .insertInto('notifications')
    .values({
      id,
      user_id: userId,
      kind: 'system',
      title: `title ${id}`,
      body: 'body',
      read,
      created_at: created.toISOString(),
    })
    .execute();
  return id;
}

describe.each(testDatabases)('account deletion on %s', (database) => {
  const deleteAccount = (session: Session) =>
    service.request('DELETE', '/profile', { token: session.accessToken });

  it('removes everything of the account, and nothing of anyone else', async () => {
    service = await startDivination({ database });
    const [alice, carol] = [await userWithData(), await userWithData()];
    const carolBefore = await rowsOf(carol.user.id);
    for (const rows of Object.values(await rowsOf(alice.user.id))) {
      expect(rows.length).toBeGreaterThan(0);
    }
    expect((await deleteAccount(alice)).status).toBe(204);

    for (const [table, rows] of Object.entries(await rowsOf(alice.user.id))) {
      expect({ table, rows }).toEqual({ table, rows: [] });
    }
    expect(existsSync(join(service.storageDirectory, 'users', alice.user.id))).toBe(false);
    expect((await fetch(alice.attachmentUrl)).status).toBe(404);
    expect((await fetch(alice.avatarUrl)).status).toBe(404);
    const row = await service.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', alice.user.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      deleted_at: service.clock.now().toISOString(),
      nickname: '',
      avatar_path: null,
    });

    // Carol keeps all of hers.
    expect(await rowsOf(carol.user.id)).toEqual(carolBefore);
    expect((await fetch(carol.attachmentUrl)).status).toBe(200);
    expect((await fetch(carol.avatarUrl)).status).toBe(200);
    expect((await service.request('GET', '/profile', { token: carol.accessToken })).status).toBe(
      200,
    );

    // Alice's tokens stand for no one; her phone opens a new account.
    const refreshed = await service.request('POST', '/auth/refresh', {
      body: { refresh_token: alice.refreshToken },
    });
    expect(problem(refreshed)).toEqual({ status: 401, code: 'AUTH_REFRESH_TOKEN_INVALID' });
    const token = alice.accessToken;
    expect(problem(await service.request('GET', '/profile', { token }))).toEqual({
      status: 404,
      code: 'PROFILE_NOT_FOUND',
    });
    expect(
      problem(await service.request('PATCH', '/profile', { token, body: { bio: 'x' } })),
    ).toEqual({ status: 404, code: 'PROFILE_NOT_FOUND' });
    expect(problem(await service.request('GET', '/invite-code', { token }))).toEqual({
      status: 404,
      code: 'INVITE_CODE_NOT_FOUND',
    });
    expect(problem(await service.request('GET', '/notifications', { token }))).toEqual({
      status: 401,
      code: 'AUTH_UNAUTHORIZED',
    });
    expect(problem(await deleteAccount(alice))).toEqual({ status: 401, code: 'AUTH_UNAUTHORIZED' });
    service.clock.advance(61);
    const again = await service.signIn(alice.phone);
    expect(again.user.id).not.toBe(alice.user.id);
  });

  it.each([
    ['unusable', 'file'],
    ['gone', 'gone'],
  ] as const)('deletes nothing when the storage is %s', async (_case, how) => {
    service = await startDivination({ database });
    const alice = await userWithData();
    const before = await rowsOf(alice.user.id);
    const directory = service.storageDirectory;
    renameSync(directory, `${directory}.aside`);
    if (how === 'file') {
      writeFileSync(directory, 'not a directory');
    }
    expect(problem(await deleteAccount(alice))).toEqual({
      status: 502,
      code: 'PROFILE_DELETE_FAILED',
    });
    rmSync(directory, { force: true });
    renameSync(`${directory}.aside`, directory);

    expect(await rowsOf(alice.user.id)).toEqual(before);
    expect((await service.request('GET', '/profile', { token: alice.accessToken })).status).toBe(
      200,
    );
    expect((await fetch(alice.attachmentUrl)).status).toBe(200);
    expect((await fetch(alice.avatarUrl)).status).toBe(200);
    // Once the storage is back, the deletion goes through.
    expect((await deleteAccount(alice)).status).toBe(204);
    expect(readdirSync(join(directory, 'users'))).toEqual([]);
  });
});

describe.each(testDatabases)('notifications on %s', (database) => {
  const list = (session: Session, query = '') =>
    service.request('GET', `/notifications${query}`, { token: session.accessToken });

  it('lists the caller’s, latest first, a page at a time, with the unread count', async () => {
    service = await startDivination({ database });
    const [alice, bob] = [await service.signIn(), await service.signIn()];
    const start = service.clock.now().getTime();
    const ids: string[] = [];
    for (let minute = 0; minute < 5; minute += 1) {
      ids.push(
        await addNotification(
          alice.user.id,
          new Date(start + minute * 60_000),
          minute === 0 ? 1 : 0,
        ),
      );
    }
    await addNotification(bob.user.id);
    const first = await list(alice, '?limit=2');
    expect(first.body.items.map((item: { id: string }) => item.id)).toEqual([ids[4], ids[3]]);
    expect(first.body.unread).toBe(4);
    expect(first.body.items[0]).toEqual({
      id: ids[4],
      kind: 'system',
      title: `title ${ids[4]}`,
      body: 'body',
      read: false,
      created_at: new Date(start + 4 * 60_000).toISOString(),
    });
    const before = encodeURIComponent(first.body.items[1].created_at);
    const next = await list(alice, `?limit=2&before=${before}`);
    expect(next.body.items.map((item: { id: string }) => item.id)).toEqual([ids[2], ids[1]]);
    const offset = encodeURIComponent('2026-11-22T16:01:30+08:00'); // 08:01:30Z
    const last = await list(alice, `?before=${offset}`);
    expect(
      last.body.items.map((item: { id: string; read: boolean }) => [item.id, item.read]),
    ).toEqual([
      [ids[1], false],
      [ids[0], true],
    ]);
    expect((await list(bob)).body.items).toHaveLength(1);
    expect(problem(await list(alice, '?limit=51'))).toEqual({
      status: 422,
      code: 'REQUEST_VALIDATION_ERROR',
    });
  });

  it('reads and deletes only the caller’s own', async () => {
    service = await startDivination({ database });
    const [alice, bob, carol] = [
      await service.signIn(),
      await service.signIn(),
      await service.signIn(),
    ];
    const mine = await addNotification(alice.user.id);
    const carols = await addNotification(carol.user.id);
    const act = (session: Session, method: string, id: string) =>
      service.request(method, `/notifications/${id}${method === 'POST' ? '/read' : ''}`, {
        token: session.accessToken,
      });
    for (const method of ['POST', 'DELETE']) {
      for (const id of [mine, 'ntf_nothing00']) {
        const refused = await act(bob, method, id);
        expect({ method, id, ...problem(refused) }).toEqual({
          method,
          id,
          status: 404,
          code: 'NOTIFICATION_NOT_FOUND',
        });
        expect(refused.body.notification_id).toBe(id);
      }
    }
    expect(problem(await act(bob, 'POST', 'not-an-id'))).toEqual({
      status: 422,
      code: 'REQUEST_VALIDATION_ERROR',
    });
    const read = await act(alice, 'POST', mine);
    expect(read.body).toMatchObject({ id: mine, read: true });
    expect((await list(alice)).body.unread).toBe(0);
    expect((await act(alice, 'DELETE', mine)).status).toBe(204);
    expect(problem(await act(alice, 'DELETE', mine))).toEqual({
      status: 404,
      code: 'NOTIFICATION_NOT_FOUND',
    });
    expect((await list(alice)).body).toEqual({ items: [], unread: 0 });
    // Carol's, untouched by all this.
    expect((await list(carol)).body).toMatchObject({
      items: [{ id: carols, read: false }],
      unread: 1,
    });
  });
});

describe.each(testDatabases)('invite codes on %s', (database) => {
  it('tells the code, how many signed up with it and the reward', async () => {
    service = await startDivination({ database });
    const inviter = await service.signIn();
    const code = () => service.request('GET', '/invite-code', { token: inviter.accessToken });
    const first = await code();
    expect(first.body).toEqual({
      code: expect.stringMatching(/^[A-Z0-9]{6}$/),
      invited_count: 0,
      reward_points: 50,
    });
    await service.signIn(undefined, { invite_code: first.body.code });
    await service.signIn(undefined, { invite_code: first.body.code });
    await service.signIn();
    expect((await code()).body).toMatchObject({ code: first.body.code, invited_count: 2 });
    const { body } = await service.request('GET', '/notifications', { token: inviter.accessToken });
    expect(body.items.map((item: { kind: string }) => item.kind)).toEqual(['invite', 'invite']);
  });
});
