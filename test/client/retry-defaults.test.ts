import * as botAgent from 'api-contracts/client/bot-agent';
import * as divination from 'api-contracts/client/divination';
import * as podi from 'api-contracts/client/podi';
import * as taskMarket from 'api-contracts/client/task-market';
import * as workflowCloud from 'api-contracts/client/workflow-cloud';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/types.d.ts';
import { errorAnswer } from './answers.ts';
import { fakeServer } from './fake-server.ts';

type Retry = botAgent.RetryOptions;

/** A service's catalog, and one call of its client to `origin` with these retry options. */
interface Service {
  catalog: Catalog;
  call: (origin: string, retry: Retry) => Promise<unknown>;
}

const services: Record<string, Service> = {
  'task-market': {
    catalog: taskMarket.catalog,
    call: (origin, retry) => taskMarket.createTaskMarketClient({ origin, retry }).GET('/points'),
  },
  'bot-agent': {
    catalog: botAgent.catalog,
    call: (origin, retry) =>
      botAgent
        .createBotAgentClient({ origin, retry })
        .GET('/bots/{botId}', { params: { path: { botId: 'work_bot_001' } } }),
  },
  divination: {
    catalog: divination.catalog,
    call: (origin, retry) => divination.createDivinationClient({ origin, retry }).GET('/auth/me'),
  },
  podi: {
    catalog: podi.catalog,
    call: (origin, retry) =>
      podi
        .createPodiClient({ origin, retry })
        .GET('/tasks/{taskId}', { params: { path: { taskId: 'tk_01JD8A4M2Q' } } }),
  },
  'workflow-cloud': {
    catalog: workflowCloud.catalog,
    call: (origin, retry) =>
      workflowCloud.createWorkflowCloudClient({ origin, retry }).POST('/task/openapi/status', {
        body: { apiKey: '4a6c7e2f9b1d3e5a7c9f0b2d4e6a8c1f', taskId: '1887952812474667009' },
      }),
  },
};

describe("each client's retry defaults, from its seed", () => {
  it.each<{ service: string; code: string; retry: Retry; waits: number[] }>([
    // seeds/task-market.md 3.2: maxRetries = 3 attempts, Math.pow(2, i) * 1000.
    { service: 'task-market', code: 'SERVICE_UNAVAILABLE', retry: {}, waits: [1000, 2000] },
    // No advice beyond "retry later": the default, four attempts.
    { service: 'bot-agent', code: 'SERVICE_UNAVAILABLE', retry: {}, waits: [1000, 2000, 4000] },
    { service: 'podi', code: 'COMFYUI_NOT_READY', retry: {}, waits: [1000, 2000, 4000] },
    // "Show retry message and allow retry": the user retries, told at once.
    { service: 'divination', code: 'INTERNAL_ERROR', retry: {}, waits: [] },
    { service: 'divination', code: 'INTERNAL_ERROR', retry: { retries: 2 }, waits: [1000, 2000] },
    // Every operation a POST: only when opted in, then "wait 30 to 120 s".
    { service: 'workflow-cloud', code: 'TASK_INSTANCE_MAXED', retry: {}, waits: [] },
    {
      service: 'workflow-cloud',
      code: 'TASK_INSTANCE_MAXED',
      retry: { retryNonIdempotent: true },
      waits: [30_000, 60_000, 120_000],
    },
  ])(
    '$service, answering $code, with $retry, waits $waits',
    async ({ service, code, retry, waits }) => {
      const { catalog, call } = services[service] as Service;
      const server = await fakeServer([errorAnswer(catalog, code)]);
      const waited: number[] = [];
      const sleep = async (milliseconds: number) => void waited.push(milliseconds);
      await call(server.origin, { ...retry, sleep });
      await server.close();
      expect(waited).toEqual(waits);
      expect(server.received).toHaveLength(waits.length + 1);
    },
  );
});
