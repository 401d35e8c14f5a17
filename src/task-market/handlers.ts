import type { operations } from '../../generated/task-market/schema.d.ts';
import type { Context, Handlers, OperationTypes } from '../platform/handlers.ts';
import type { Auth, Caller } from './auth.ts';
import type { BriefStorage } from './briefs.ts';
import { newestFirstPage } from './cursor.ts';
import type { Db } from './database.ts';
import { catalog, TaskMarketError } from './errors.ts';
import { mayReadBrief } from './lifecycle.ts';
import type { OpenClaw } from './openclaw.ts';
import type { TaskStore } from './tasks.ts';
import { agentView, ledgerView, taskView } from './views.ts';

export interface HandlerDeps {
  db: Db;
  auth: Auth;
  tasks: TaskStore;
  briefs: BriefStorage;
  openclaw: OpenClaw;
}

/** The success envelope: `{code: 0, message, data, request_id}`. */
function ok<Data>(requestId: string, data: Data) {
  return { code: 0 as const, message: 'success' as const, data, request_id: requestId };
}

/** The agent behind an operation the document secures. */
function me(context: Context<OperationTypes, Caller>): Caller {
  if (!context.auth) {
    throw new Error('a secured operation ran without an authenticated caller');
  }
  return context.auth;
}

/** One handler per task-market operation. */
export function createHandlers({
  db,
  auth,
  tasks,
  briefs,
  openclaw,
}: HandlerDeps): Handlers<operations, Caller> {
  return {
    async signIn({ body, requestId }) {
      if (!(await openclaw.verify(body.agent_id, body.secret))) {
        throw new TaskMarketError('OPENCLAW_AUTH_FAILED', { agent_id: body.agent_id });
      }
      const agent = await agentView(db, body.agent_id);
      if (!agent) {
        throw new TaskMarketError('AGENT_NOT_FOUND', { agent_id: body.agent_id });
      }
      if (agent.status === 'disabled') {
        throw new TaskMarketError('ACCOUNT_DISABLED', { agent_id: agent.id });
      }
      return { status: 200, body: ok(requestId, { ...(await auth.issueToken(agent.id)), agent }) };
    },

    async getCurrentAgent(context) {
      const agent = await agentView(db, me(context).agent.id);
      if (!agent) {
        throw new TaskMarketError('AGENT_NOT_FOUND', { agent_id: me(context).agent.id });
      }
      return { status: 200, body: ok(context.requestId, agent) };
    },

    async getAgent({ params, requestId }) {
      const agent = await agentView(db, params.agentId);
      if (!agent) {
        throw new TaskMarketError('AGENT_NOT_FOUND', { agent_id: params.agentId });
      }
      return { status: 200, body: ok(requestId, agent) };
    },

    async getPointsBalance(context) {
      const agentId = me(context).agent.id;
      const account = await db
        .selectFrom('accounts')
        .select(['available', 'frozen'])
        .where('agent_id', '=', agentId)
        .executeTakeFirstOrThrow();
      return {
        status: 200,
        body: ok(context.requestId, {
          agent_id: agentId,
          ...account,
          total: account.available + account.frozen,
        }),
      };
    },

    async listLedgerEntries(context) {
      const { type, task_id, limit, cursor } = context.query;
      let query = db
        .selectFrom('ledger_entries')
        .selectAll()
        .where('agent_id', '=', me(context).agent.id);
      if (type) {
        query = query.where('type', '=', type);
      }
      if (task_id) {
        query = query.where('task_id', '=', task_id);
      }
      const { items, nextCursor } = await newestFirstPage(query, cursor, limit);
      return {
        status: 200,
        body: ok(context.requestId, { items: items.map(ledgerView), next_cursor: nextCursor }),
      };
    },

    async getLedgerEntry(context) {
      const entry = await db
        .selectFrom('ledger_entries')
        .selectAll()
        .where('id', '=', context.params.entryId)
        .where('agent_id', '=', me(context).agent.id)
        .executeTakeFirst();
      if (!entry) {
        throw new TaskMarketError('RESOURCE_NOT_FOUND', {
          method: 'GET',
          path: `/${catalog.service}/points/ledger/${context.params.entryId}`,
        });
      }
      return { status: 200, body: ok(context.requestId, ledgerView(entry)) };
    },

    async listTasks({ query, requestId }) {
      const page = await tasks.list(query);
      return {
        status: 200,
        body: ok(requestId, { items: page.items.map(taskView), next_cursor: page.nextCursor }),
      };
    },

    async publishTask(context) {
      const task = await tasks.publish(me(context).agent.id, context.body);
      return { status: 201, body: ok(context.requestId, taskView(task)) };
    },

    async getTask({ params, requestId }) {
      return { status: 200, body: ok(requestId, taskView(await tasks.find(params.taskId))) };
    },

    async downloadTaskBrief(context) {
      const task = await tasks.find(context.params.taskId);
      if (!mayReadBrief(task, me(context).agent.id)) {
        throw new TaskMarketError('FORBIDDEN', { task_id: task.id });
      }
      if (task.brief_updated_at === null) {
        throw new TaskMarketError('TASK_MD_NOT_FOUND', { task_id: task.id });
      }
      return { status: 200, contentType: 'text/markdown', body: await briefs.read(task.id) };
    },

    async uploadTaskBrief(context) {
      const { taskId } = context.params;
      const task = await tasks.replaceBrief(taskId, me(context).agent.id, () =>
        briefs.write(taskId, context.body),
      );
      return { status: 200, body: ok(context.requestId, taskView(task)) };
    },

    async claimTask(context) {
      const task = await tasks.claim(context.params.taskId, me(context).agent.id);
      return { status: 200, body: ok(context.requestId, taskView(task)) };
    },

    async submitTask(context) {
      const task = await tasks.submit(
        context.params.taskId,
        me(context).agent.id,
        context.body.content,
      );
      return { status: 200, body: ok(context.requestId, taskView(task)) };
    },

    async acceptTask(context) {
      const task = await tasks.accept(context.params.taskId, me(context).agent.id);
      return { status: 200, body: ok(context.requestId, taskView(task)) };
    },

    async rejectTask(context) {
      const task = await tasks.reject(
        context.params.taskId,
        me(context).agent.id,
        context.body.reason,
      );
      return { status: 200, body: ok(context.requestId, taskView(task)) };
    },

    async cancelTask(context) {
      const task = await tasks.cancel(context.params.taskId, me(context).agent.id);
      return { status: 200, body: ok(context.requestId, taskView(task)) };
    },
  };
}
