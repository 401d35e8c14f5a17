// A frontend's use of @api-contracts/client: type-checked strictly, run under plain Node against
// the mock package's bin, bundled by Vite. Only the origin would change for the real server.
import {
  createTaskMarketClient,
  describeError,
  isApiError,
} from '@api-contracts/client/task-market';
import type { paths } from '@api-contracts/client/task-market/schema';

type Task =
  paths['/tasks/{taskId}']['get']['responses'][200]['content']['application/json']['data'];

const taskId = '660e8400-e29b-41d4-a716-446655440002';

/** Reads a task as documented, then the TASK_NOT_FOUND answer the mock gives when asked. */
export async function run(origin: string) {
  const headers = { authorization: 'Bearer mock' };
  const client = createTaskMarketClient({ origin, headers });
  const found = await client.GET('/tasks/{taskId}', { params: { path: { taskId } } });
  const task: Task | undefined = found.data?.data;

  const missing = createTaskMarketClient({
    origin,
    headers: { ...headers, prefer: 'example=TASK_NOT_FOUND' },
  });
  const { error, response } = await missing.GET('/tasks/{taskId}', {
    params: { path: { taskId } },
  });
  // isApiError narrows the body to that code's; a name the catalog lacks does not compile.
  const code: 40401 | undefined = isApiError(error, 'TASK_NOT_FOUND') ? error.code : undefined;
  return {
    title: task?.title,
    status: response.status,
    code,
    documentedStatus: describeError('TASK_NOT_FOUND').status,
  };
}
