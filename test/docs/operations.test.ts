import { describe, expect, it } from 'vitest';
import { referenceOperations, referenceRoute } from '../../src/docs/operations.ts';

describe('referenceRoute', () => {
  it.each([
    ['Tasks', 'getTask', '#/tasks/gettask'],
    ['Agent runtime', 'pullAgentTask', '#/agent-runtime/pullagenttask'],
    ['ComfyUI', 'syncComfyuiVersions', '#/comfyui/synccomfyuiversions'],
  ])('routes %s / %s to %s', (tag, operationId, route) => {
    expect(referenceRoute(tag, operationId)).toBe(route);
  });
});

describe('referenceOperations', () => {
  it('lists each operation with its path under the base path, its codes, its failure field and its route', () => {
    const operations = referenceOperations({
      info: { title: 'Podi API', version: '1.0.0' },
      servers: [{ url: '/podi' }],
      paths: {
        '/tasks/{taskId}': {
          get: {
            operationId: 'getTask',
            summary: 'Get a task',
            tags: ['Tasks'],
            'x-errors': ['TASK_NOT_FOUND', 'TASK_TIMEOUT'],
            'x-error-field': { path: 'error_message' },
          },
          delete: { operationId: 'deleteTask', summary: 'Delete a task', tags: ['Tasks'] },
        },
      },
    });
    expect(operations).toEqual([
      {
        method: 'GET',
        path: '/tasks/{taskId}',
        instance: '/podi/tasks/{taskId}',
        operationId: 'getTask',
        summary: 'Get a task',
        errors: ['TASK_NOT_FOUND', 'TASK_TIMEOUT'],
        field: 'error_message',
        route: '#/tasks/gettask',
      },
      {
        method: 'DELETE',
        path: '/tasks/{taskId}',
        instance: '/podi/tasks/{taskId}',
        operationId: 'deleteTask',
        summary: 'Delete a task',
        errors: [],
        field: undefined,
        route: '#/tasks/deletetask',
      },
    ]);
  });
});
