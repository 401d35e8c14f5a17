import { afterEach, describe, expect, it } from 'vitest';
import { isThreadId } from '../../src/divination/sessions.ts';
import { type Divination, newSession, openEvents, runInput, startDivination } from './harness.ts';

let service: Divination;
afterEach(() => service?.close());

describe('sessions', () => {
  it('opens a session of a method, untitled until its reading names it', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const created = await service.request('POST', '/agent/sessions', {
      token,
      body: { method: 'tarot' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      threadId: expect.stringMatching(/^thr_[0-9A-Za-z]{16}$/),
      title: '',
      method: 'tarot',
      user_message_count: 0,
      created_at: service.clock.now().toISOString(),
      updated_at: service.clock.now().toISOString(),
    });
    const titled = await service.request('POST', '/agent/sessions', {
      token,
      body: { method: 'iching', title: 'A new job' },
    });
    expect(titled.body.title).toBe('A new job');
    for (const body of [{ method: 'runes' }, { method: 'iching', extra: 1 }, { title: 'x' }]) {
      const refused = await service.request('POST', '/agent/sessions', { token, body });
      expect(refused.body.code).toBe('REQUEST_VALIDATION_ERROR');
    }
  });

  it('lists the caller’s sessions, the latest first, page by page', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const other = await service.signIn();
    await newSession(service, other.accessToken);
    const threads: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      // Sessions made within one instant still page exactly.
      threads.unshift(await newSession(service, token));
    }
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const query: string = before ? `?limit=2&before=${encodeURIComponent(before)}` : '?limit=2';
      const page = await service.request('GET', `/agent/sessions${query}`, { token });
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((item: { threadId: string }) => item.threadId));
      before = page.body.next_before;
    } while (before);
    expect(seen).toEqual(threads);
    const all = await service.request('GET', '/agent/sessions', { token });
    expect(all.body).toMatchObject({ next_before: null });
    expect(all.body.items).toHaveLength(5);
    const refused = await service.request('GET', '/agent/sessions?limit=51', { token });
    expect(refused.body.code).toBe('REQUEST_VALIDATION_ERROR');
  });

  it('is its user’s only; an id of another format is refused', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const other = await service.signIn();
    const threadId = await newSession(service, token);
    const paths = (id: string) => [
      ['GET', `/agent/sessions/${id}`],
      ['GET', `/agent/sessions/${id}/messages`],
      ['DELETE', `/agent/sessions/${id}`],
    ];
    const cases: [string, string, number, object][] = [
      [threadId, other.accessToken, 403, { code: 'AGENT_FORBIDDEN' }],
      [
        'thr_0000000000000000',
        token,
        404,
        { code: 'AGENT_SESSION_NOT_FOUND', thread_id: 'thr_0000000000000000' },
      ],
      // The document's pattern lets it through; no session of ours can have it.
      [
        'thr_01JD7K3V9Q',
        token,
        422,
        { code: 'AGENT_SESSION_ID_INVALID', thread_id: 'thr_01JD7K3V9Q' },
      ],
      ['not-a-thread', token, 422, { code: 'REQUEST_VALIDATION_ERROR' }],
    ];
    for (const [id, caller, status, problem] of cases) {
      for (const [method, path] of paths(id)) {
        const refused = await service.request(method as string, path as string, { token: caller });
        expect([method, refused.status, refused.body]).toMatchObject([method, status, problem]);
      }
    }
    const mine = await service.request('GET', `/agent/sessions/${threadId}`, { token });
    expect(mine.body.threadId).toBe(threadId);
  });

  it('deletes a session with its messages and runs', async () => {
    service = await startDivination();
    const { accessToken: token } = await service.signIn();
    const threadId = await newSession(service, token);
    const input = runInput(threadId);
    await (await openEvents(service, 'POST', '/agent/runs', { token, body: input })).rest();
    const messages = await service.request('GET', `/agent/sessions/${threadId}/messages`, {
      token,
    });
    expect(messages.body.messages).toHaveLength(2);

    expect((await service.request('DELETE', `/agent/sessions/${threadId}`, { token })).status).toBe(
      204,
    );
    const gone = await service.request('GET', `/agent/sessions/${threadId}`, { token });
    expect(gone.body.code).toBe('AGENT_SESSION_NOT_FOUND');
    for (const table of ['agent_messages', 'agent_runs', 'run_events'] as const) {
      expect(await service.db.selectFrom(table).selectAll().execute()).toEqual([]);
    }
  });
});

describe('isThreadId', () => {
  it.each([
    ['thr_AAAAAAAAAAAAAAAA', true],
    ['thr_01JD7K3V9Q', false],
    ['thr_AAAAAAAAAAAAAAAAA', false],
    ['thr_AAAAAAAA-AAAAAAA', false],
    ['run_AAAAAAAAAAAAAAAA', false],
  ])('%s: %s', (id, valid) => {
    expect(isThreadId(id)).toBe(valid);
  });
});
