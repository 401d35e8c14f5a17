import {
  createWorkflowCloudClient,
  isApiError,
  isSuccess,
  type OperationErrors,
} from 'api-contracts/client/workflow-cloud';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { useMock } from '../support/mock.ts';

const mockOrigin = useMock();

const status = (prefer?: string) =>
  createWorkflowCloudClient({ origin: mockOrigin(), retry: false }).POST('/task/openapi/status', {
    body: { apiKey: '4a6c7e2f9b1d3e5a7c9f0b2d4e6a8c1f', taskId: '1887952812474667009' },
    headers: prefer ? { prefer } : {},
  });

describe('the HTTP 200 envelope', () => {
  it('narrows to the success when code is 0', async () => {
    const { data, response } = await status();
    expect(response.status).toBe(200);
    expect(isSuccess(data)).toBe(true);
    if (isSuccess(data)) {
      expectTypeOf(data.code).toEqualTypeOf<0>();
      expectTypeOf(data.data).toEqualTypeOf<
        'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'CANCELLED'
      >();
      expect(data.data).toBe('RUNNING');
    }
  });

  it('narrows to an error, by code, though the status is 200', async () => {
    const { data, error, response } = await status('example=TASK_NOT_FOUNED');
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(isSuccess(data)).toBe(false);
    if (!isSuccess(data) && data) {
      // The codes getStatus documents, not the whole catalog.
      expectTypeOf(data.msg).toEqualTypeOf<OperationErrors['/task/openapi/status']['post']>();
      // `data` carries details only for 433 (ComfyUI's report).
      expectTypeOf(data.data).toEqualTypeOf<{ promptTips: string } | null>();
    }
    expect(isApiError(data, 'TASK_NOT_FOUNED')).toBe(true);
    if (isApiError(data, 'TASK_NOT_FOUNED')) {
      expectTypeOf(data.code).toEqualTypeOf<423>();
      expect(data).toEqual({ code: 423, msg: 'TASK_NOT_FOUNED', data: null });
    }
  });
});
