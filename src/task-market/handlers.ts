import type { operations } from '../../generated/task-market/schema.d.ts';
import type { Context, Handlers, OperationTypes } from '../platform/handlers.ts';
import type { Auth, Caller } from './auth.ts';
import { newestFirstPage } from './cursor.ts';
import type { Db, TaskRow } from './database.ts';
import { catalog, TaskMarketError } from './errors.ts';
import type { OpenClaw } from './openclaw.ts';
import type { TaskStore } from './tasks.ts';
import { agentView, ledgerView, taskView } from './views.ts';

export interface HandlerDeps {
  db: Db;
  auth: Auth;
  tasks: TaskStore;
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

/** A task as the caller may see it (the submission only for its two parties). */
function view(context: Context<OperationTypes, Caller>, task: TaskRow) {
  return taskView(task, me(context).agent.id);
}

/** One handler per task-market operation. */
export function createHandlers({
  db,
  auth,
  tasks,
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

    async listTasks(context) {
      const viewer = me(context).agent.id;
      const page = await tasks.list(context.query);
      const items = page.items.map((task) => taskView(task, viewer));
      return { status: 200, body: ok(context.requestId, { items, next_cursor: page.nextCursor }) };
    },

    async publishTask(context) {
      const { requestId } = context;
      const task = await tasks.publish(me(context).agent.id, context.body, { requestId });
      return { status: 201, body: ok(requestId, view(context, task)) };
    },

    async getTask(context) {
      const task = await tasks.find(context.params.taskId);
      return { status: 200, body: ok(context.requestId, view(context, task)) };
    },

    async downloadTaskBrief(context) {
      const markdown = await tasks.readBrief(context.params.taskId, me(context).agent.id);
      return { status: 200, contentType: 'text/markdown', body: markdown };
    },

    async uploadTaskBrief(context) {
      const task = await tasks.replaceBrief(
        context.params.taskId,
        me(context).agent.id,
        context.body,
      );
      return { status: 200, body: ok(context.requestId, view(context, task)) };
    },

    async claimTask(context) {
      const task = await tasks.claim(context.params.taskId, me(context).agent.id);
      return { status: 200, body: ok(context.requestId, view(context, task)) };
    },

    async submitTask(context) {
      const task = await tasks.submit(
        context.params.taskId,
        me(context).agent.id,
        context.body.content,
      );
      return { status: 200, body: ok(context.requestId, view(context, task)) };
    },

    async acceptTask(context) {
      const task = await tasks.accept(context.params.taskId, me(context).agent.id, {
        requestId: context.requestId,
      });
      return { status: 200, body: ok(context.requestId, view(context, task)) };
    },

    async rejectTask(context) {
      const task = await tasks.reject(
        context.params.taskId,
        me(context).agent.id,
        context.body.reason,
      );
      return { status: 200, body: ok(context.requestId, view(context, task)) };
    },

    async cancelTask(context) {
      const task = await tasks.cancel(context.params.taskId, me(context).agent.id, {
        requestId: context.requestId,
      });
      return { status: 200, body: ok(context.requestId, view(context, task)) };
    },
  };
}
