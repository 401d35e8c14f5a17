import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDocument } from '../support/documents.ts';
import { useMock } from '../support/mock.ts';

// A stand-in for what `npm run docs` builds: the page divination's error bodies link to.
const docsDir = mkdtempSync(join(tmpdir(), 'mock-docs-'));
mkdirSync(join(docsDir, 'divination'));
writeFileSync(join(docsDir, 'divination', 'errors.html'), '<h1>divination error catalog</h1>');

const mockOrigin = useMock(docsDir);
const task = '/task-market/tasks/660e8400-e29b-41d4-a716-446655440002';
const authorization = 'Bearer mock-credentials';

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${mockOrigin()}${path}`, { headers: { authorization, ...headers } });

describe('the mock', () => {
  it.each([
    ['example alone', 'example=TASK_NOT_FOUND', 404, 40401],
    ['code and example, as plain Prism takes them', 'code=404, example=TASK_NOT_FOUND', 404, 40401],
    ['a success example', 'example=submitted', 200, 0],
  ])('answers %s', async (_case, prefer, status, code) => {
    const answer = await get(task, { prefer });
    expect(answer.status).toBe(status);
    expect(((await answer.json()) as { code: number }).code).toBe(code);
  });

  it('generates a body from the schema on dynamic=true', async () => {
    const answer = await get(task, { prefer: 'dynamic=true' });
    const document = loadDocument('task-market');
    expect(answer.status).toBe(200);
    expect(document.validate('getTask', 200, 'application/json', await answer.json())).toEqual([]);
  });

  it('answers an example the operation does not document with the ones it does', async () => {
    const answer = await get(task, { prefer: 'example=BOT_NOT_FOUND' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await answer.json()).toMatchObject({
      title: 'Unknown example',
      detail: 'GET /tasks/{taskId} documents no example named BOT_NOT_FOUND.',
      examples: { submitted: 200, TASK_NOT_FOUND: 404, RATE_LIMITED: 429 },
    });
  });

  it('sends the Retry-After the example’s retry_after asks for', async () => {
    const answer = await get(task, { prefer: 'example=QUOTA_EXCEEDED' });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('3600');
  });

  it('refuses a request without credentials as the server does, before any example', async () => {
    const answer = await fetch(`${mockOrigin()}${task}`, {
      headers: { prefer: 'example=TASK_NOT_FOUND' },
    });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ code: 40101, message: '缺少认证信息' });
  });

  it.each([
    [
      'task-market',
      'GET',
      '/task-market/taskz',
      404,
      { code: 40403, details: { method: 'GET', path: '/task-market/taskz' } },
    ],
    [
      'task-market',
      'DELETE',
      task,
      404,
      { code: 40403, details: { method: 'DELETE', path: task } },
    ],
    [
      'workflow-cloud',
      'POST',
      '/workflow-cloud/task/openapi/craete',
      200,
      { code: 412, msg: 'TOKEN_INVALID', data: null },
    ],
    ['podi', 'GET', '/podi/abilitys', 404, { detail: 'NOT_FOUND' }],
    // No not-found code of its own: a code stands in (platform.unknownPath in the catalog), its
    // details about the path, never its example's, which are another request's.
    [
      'bot-agent',
      'GET',
      '/bot-agent/botz',
      400,
      {
        error: {
          code: 'INVALID_REQUEST_FORMAT',
          numeric_code: 9012,
          message: '请求格式无效',
          details: {
            fields: [{ field: 'path', message: 'GET /bot-agent/botz is not an endpoint' }],
          },
        },
      },
    ],
    // FastAPI's 404, as an RFC 9457 problem with no code: the catalog's body, sent as is.
    [
      'divination',
      'GET',
      '/divination/profiles',
      404,
      { type: 'about:blank', title: 'Not Found', status: 404, detail: 'Not Found' },
    ],
  ])(
    'answers an undocumented %s path as the service does',
    async (service, method, path, status, body) => {
      const answer = await fetch(`${mockOrigin()}${path}`, { method, headers: { authorization } });
      expect(answer.status).toBe(status);
      expect(answer.headers.get('content-type')).toBe(
        `${service === 'divination' ? 'application/problem+json' : 'application/json'}; charset=utf-8`,
      );
      const sent = (await answer.json()) as Record<string, unknown>;
      // The request id of task-market's envelope is new on every answer.
      expect(service === 'task-market' ? { ...sent, request_id: undefined } : sent).toEqual(
        service === 'task-market' ? { message: '资源不存在', ...body } : body,
      );
    },
  );

  it('answers a body that is no catalog code, as podi’s FastAPI does, by its example name', async () => {
    const answer = await get('/podi/abilities', { prefer: 'example=PLATFORM_VALIDATION_FAILED' });
    expect(answer.status).toBe(422);
    expect(await answer.json()).toEqual({
      detail: [
        { loc: ['query', 'sort'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' },
      ],
    });
    const fault = await get('/podi/abilities', { prefer: 'example=PLATFORM_INTERNAL_ERROR' });
    expect(fault.status).toBe(500);
    expect(await fault.json()).toEqual({ detail: 'Internal Server Error' });
  });

  it('serves the docs, so an error body’s link to its catalog entry works', async () => {
    const answer = await get('/divination/profile', { prefer: 'example=PROFILE_NOT_FOUND' });
    const { type } = (await answer.json()) as { type: string };
    expect(type).toBe('/docs/divination/errors#PROFILE_NOT_FOUND');
    const page = await fetch(new URL(type, mockOrigin()));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('divination error catalog');
  });

  it('serves the bundled documents, as the docs’ landing page links to them', async () => {
    const answer = await get('/openapi/divination.yaml');
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('title: Divination');
  });

  it('answers a docs page that does not exist with a problem', async () => {
    const answer = await get('/docs/shop');
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await answer.json()).toMatchObject({ title: 'Unknown docs page' });
  });

  it('lists the mocked services for an unknown prefix', async () => {
    const answer = await get('/shop/items');
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({
      title: 'Unknown service',
      services: expect.arrayContaining(['/task-market']),
    });
  });

  it('lets a browser ask first (CORS)', async () => {
    const answer = await fetch(`${mockOrigin()}${task}`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-headers': 'prefer' },
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(answer.headers.get('access-control-allow-headers')).toBe('prefer');
  });
});
