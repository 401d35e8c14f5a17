import { createPodiClient, describeFailure, isApiError } from 'api-contracts/client/podi';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { useMock } from '../support/mock.ts';

const mockOrigin = useMock();

const client = () =>
  createPodiClient({
    origin: mockOrigin(),
    headers: { authorization: 'Bearer mock' },
    retry: false,
  });

const getTask = (prefer?: string) =>
  client().GET('/tasks/{taskId}', {
    params: { path: { taskId: 'tk_01JD8A4M2Q' } },
    headers: prefer ? { prefer } : {},
  });

const invoke = (prefer?: string) =>
  client().POST('/abilities/{abilityId}/invoke', {
    params: { path: { abilityId: 'ab_7Xq2Lm' } },
    body: { image_url: 'https://assets.podi.example/in/7.png' },
    headers: prefer ? { prefer } : {},
  });

describe('HTTP errors', () => {
  it('narrow to the code of `{"detail": …}`', async () => {
    const { error, response } = await getTask('example=TASK_NOT_FOUND');
    expect(response.status).toBe(404);
    expect(isApiError(error, 'TASK_NOT_FOUND')).toBe(true);
    expect(isApiError(error, 'INVALID_TOKEN')).toBe(false);
    if (isApiError(error, 'TASK_NOT_FOUND')) {
      expectTypeOf(error.detail).toEqualTypeOf<'TASK_NOT_FOUND'>();
    }
  });
});

describe('describeFailure', () => {
  it.each([
    ['COMFYUI_HISTORY_HTTP_*', 'COMFYUI_HISTORY_HTTP_502'],
    ['TASK_TIMEOUT', 'TASK_TIMEOUT'],
  ])('reads a failed task example %s as its catalog entry', async (example, carried) => {
    const { data, response } = await getTask(`example=${example}`);
    expect(response.status).toBe(200);
    expect(data?.status).toBe('failed');
    expect(data?.error_message).toBe(carried);
    expect(describeFailure(data?.error_message)?.name).toBe(example);
  });

  it('finds no failure in a task that succeeded', async () => {
    const { data } = await getTask();
    expect(data?.status).toBe('succeeded');
    expect(describeFailure(data?.error_message)).toBeUndefined();
  });

  it.each([
    ['Q1001', 'ERR|Q1001|'],
    ['Q2001', 'ERR|Q2001|'],
  ])('reads a refused invocation %s from its taskId', async (code, prefix) => {
    const { data } = await invoke(`example=${code}`);
    expect(data?.status).toBe('rejected');
    expect(data?.taskId.startsWith(prefix)).toBe(true);
    expect(describeFailure(data?.taskId)?.name).toBe(code);
    expect(describeFailure(data?.taskId)?.retryable).toBe(true);
  });

  it('finds no failure in a queued invocation', async () => {
    const { data } = await invoke();
    expect(data?.status).toBe('queued');
    expect(describeFailure(data?.taskId)).toBeUndefined();
  });

  it('ignores HTTP codes, which never travel inside a resource', () => {
    expect(describeFailure('TASK_NOT_FOUND')).toBeUndefined();
  });
});
