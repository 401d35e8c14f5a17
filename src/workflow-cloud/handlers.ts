import type { operations } from '../../generated/workflow-cloud/schema.d.ts';
import type { Handlers } from '../platform/handlers.ts';
import type { Authenticate } from './accounts.ts';
import type { Tasks } from './tasks.ts';
import type { createUploads } from './uploads.ts';
import type { Workflows } from './workflows.ts';

export interface HandlerDeps {
  authenticate: Authenticate;
  workflows: Workflows;
  tasks: Tasks;
  upload: ReturnType<typeof createUploads>;
}

/** The success envelope: HTTP 200 `{code: 0, msg: 'success', data}`. */
function ok<Data>(data: Data) {
  return { status: 200 as const, body: { code: 0 as const, msg: 'success' as const, data } };
}

/**
 * One handler per workflow-cloud operation (`taskEnded` is the webhook it calls, not one it serves). Each starts from the API key in the body (the
 * document has no security scheme: the key is not in a header).
 */
export function createHandlers({
  authenticate,
  workflows,
  tasks,
  upload,
}: HandlerDeps): Handlers<Omit<operations, 'taskEnded'>, null> {
  return {
    async createTask({ body }) {
      const caller = await authenticate(body.apiKey);
      const source = await workflows.workflowToRun(caller, body.workflowId);
      return ok(await tasks.create(caller, source, body));
    },

    async runAiApp({ body }) {
      const caller = await authenticate(body.apiKey);
      const source = await workflows.webappToRun(body.webappId);
      return ok(await tasks.create(caller, source, body));
    },

    async getTaskStatus({ body }) {
      const caller = await authenticate(body.apiKey);
      return ok(await tasks.status(caller, body.taskId));
    },

    async getTaskOutputs({ body }) {
      const caller = await authenticate(body.apiKey);
      return ok(await tasks.outputs(caller, body.taskId));
    },

    async cancelTask({ body }) {
      const caller = await authenticate(body.apiKey);
      await tasks.cancel(caller, body.taskId);
      return ok(null);
    },

    async uploadFile({ body, files }) {
      const caller = await authenticate(body.apiKey);
      const [file] = files;
      if (!file) {
        throw new Error('the validator let an upload without its file through');
      }
      return ok(await upload(caller, file, body.fileType));
    },

    async getAccountStatus({ body }) {
      const { account } = await authenticate(body.apikey);
      const enterprise = account.plan === 'enterprise';
      return ok({
        remainCoins: String(account.coins),
        currentTaskCounts: String(account.active_shared + account.active_exclusive),
        remainMoney: enterprise ? (account.money_cents / 100).toFixed(2) : null,
        currency: enterprise ? account.currency : null,
        apiType: account.plan === 'exclusive' ? ('PLUS' as const) : ('NORMAL' as const),
      });
    },

    async getWorkflowJson({ body }) {
      const caller = await authenticate(body.apiKey);
      return ok({ prompt: await workflows.apiJson(caller, body.workflowId) });
    },
  };
}
