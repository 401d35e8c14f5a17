// What `isApiError` accepts and what it narrows to, checked by the compiler: `npm run typecheck`
// fails when a `@ts-expect-error` below stops being an error or an `expectTypeOf` disagrees.
// The clients are never called (vitest only sees functions that type-check).
import { type BotAgentClient, isApiError as isBotAgentError } from 'api-contracts/client/bot-agent';
import {
  type DivinationClient,
  isApiError as isDivinationError,
} from 'api-contracts/client/divination';
import { isApiError as isPodiError, type PodiClient } from 'api-contracts/client/podi';
import {
  type ErrorDetails,
  isApiError,
  type OperationErrors,
  type TaskMarketClient,
} from 'api-contracts/client/task-market';
import {
  isApiError as isWorkflowCloudError,
  type WorkflowCloudClient,
} from 'api-contracts/client/workflow-cloud';
import { describe, expectTypeOf, it } from 'vitest';

const taskId = '660e8400-e29b-41d4-a716-446655440002';

describe('task-market isApiError', () => {
  it('takes the codes the operation documents, and narrows details to the code', () => {
    const check = async (client: TaskMarketClient) => {
      const { error } = await client.GET('/tasks/{taskId}', { params: { path: { taskId } } });
      if (isApiError(error, 'TASK_NOT_FOUND')) {
        expectTypeOf(error.code).toEqualTypeOf<40401>();
        expectTypeOf(error.details).toEqualTypeOf<{ task_id: string }>();
      }
      if (isApiError(error, 'RATE_LIMITED')) {
        expectTypeOf(error.details).toEqualTypeOf<ErrorDetails['RATE_LIMITED']>();
        expectTypeOf(error.details.retry_after).toEqualTypeOf<number>();
      }
      if (isApiError(error, 'INTERNAL_ERROR')) {
        // No details: the envelope leaves them out.
        expectTypeOf(error.details).toEqualTypeOf<Record<string, never> | undefined>();
      }
      // Every code getTask documents is accepted.
      isApiError(error, 'TASK_NOT_FOUND' as OperationErrors['/tasks/{taskId}']['get']);
      // @ts-expect-error: a code of the catalog that getTask does not document
      isApiError(error, 'TASK_EXPIRED');
      // @ts-expect-error: misspelled
      isApiError(error, 'TASK_NOT_FOUNDD');
    };
    expectTypeOf(check).toBeFunction();
  });

  it("types a write's codes by the write", () => {
    const check = async (client: TaskMarketClient) => {
      const { error } = await client.POST('/tasks/{taskId}/claim', {
        params: { path: { taskId } },
      });
      if (isApiError(error, 'SIGNATURE_INVALID')) {
        expectTypeOf(error.details).toEqualTypeOf<{
          header: string;
          problem: string;
          tolerance_seconds?: number;
        }>();
      }
      isApiError(error, 'TASK_EXPIRED');
      // @ts-expect-error: claimTask does not document TASK_MD_NOT_FOUND
      isApiError(error, 'TASK_MD_NOT_FOUND');
    };
    expectTypeOf(check).toBeFunction();
  });

  it('takes any code of the catalog for a value of unknown type, and no other name', () => {
    const check = (caught: unknown) => {
      if (isApiError(caught, 'TASK_EXPIRED')) {
        expectTypeOf(caught.code).toEqualTypeOf<40905>();
        expectTypeOf(caught.details).toEqualTypeOf<ErrorDetails['TASK_EXPIRED']>();
      }
      // @ts-expect-error: not a task-market code
      isApiError(caught, 'BOT_NOT_FOUND');
    };
    expectTypeOf(check).toBeFunction();
  });
});

describe("the other services' isApiError", () => {
  it('bot-agent: error.details', () => {
    const check = async (client: BotAgentClient) => {
      const { error } = await client.GET('/bots/{botId}', { params: { path: { botId: 'b' } } });
      if (isBotAgentError(error, 'BOT_NOT_FOUND')) {
        expectTypeOf(error.error.numeric_code).toEqualTypeOf<1001>();
        expectTypeOf(error.error.details).toEqualTypeOf<{ bot_id: string; reason: string }>();
      }
      // @ts-expect-error: getBot does not document BOT_NAME_EXISTS (updateBot does)
      isBotAgentError(error, 'BOT_NAME_EXISTS');
    };
    expectTypeOf(check).toBeFunction();
  });

  it('divination: details as members of the problem', () => {
    const check = async (client: DivinationClient, body: never) => {
      const { error } = await client.POST('/agent/runs', { body });
      if (isDivinationError(error, 'AGENT_SESSION_RUN_LIMIT_EXCEEDED')) {
        expectTypeOf(error.status).toEqualTypeOf<409>();
        expectTypeOf(error.limit).toEqualTypeOf<number>();
      }
      // @ts-expect-error: runAgent does not document PROFILE_NOT_FOUND
      isDivinationError(error, 'PROFILE_NOT_FOUND');
    };
    expectTypeOf(check).toBeFunction();
  });

  it('podi: only the HTTP codes the operation documents', () => {
    const check = async (client: PodiClient) => {
      const { error } = await client.GET('/tasks/{taskId}', {
        params: { path: { taskId: 'tk_1' } },
      });
      if (isPodiError(error, 'TASK_NOT_FOUND')) {
        expectTypeOf(error.detail).toEqualTypeOf<'TASK_NOT_FOUND'>();
      }
      // @ts-expect-error: getTask does not document ABILITY_NOT_FOUND
      isPodiError(error, 'ABILITY_NOT_FOUND');
      // @ts-expect-error: TASK_TIMEOUT travels inside a task (describeFailure), never as an error
      isPodiError(error, 'TASK_TIMEOUT');
    };
    expectTypeOf(check).toBeFunction();
  });

  it('workflow-cloud: on data, the HTTP 200 answer', () => {
    const check = async (client: WorkflowCloudClient) => {
      const { data } = await client.POST('/task/openapi/status', {
        body: { apiKey: 'k', taskId: 't' },
      });
      if (isWorkflowCloudError(data, 'TASK_NOT_FOUNED')) {
        expectTypeOf(data.code).toEqualTypeOf<423>();
        expectTypeOf(data.data).toEqualTypeOf<{ promptTips: string } | null>();
      }
      // @ts-expect-error: getStatus does not document TASK_QUEUE_MAXED (createTask does)
      isWorkflowCloudError(data, 'TASK_QUEUE_MAXED');
    };
    expectTypeOf(check).toBeFunction();
  });
});
