// Must not compile: a code name the task-market catalog does not have.
import { createTaskMarketClient, isApiError } from '@api-contracts/client/task-market';

const client = createTaskMarketClient({ origin: 'http://127.0.0.1:4010' });
const { error } = await client.GET('/tasks/{taskId}', { params: { path: { taskId: 'x' } } });

export const notFound = isApiError(error, 'TASK_NOT_FOUNDD');
