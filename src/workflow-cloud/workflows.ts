import type { ComfyPrompt } from '../comfyui/client.ts';
import type { Caller } from './accounts.ts';
import type { Db, WorkflowRow } from './database.ts';
import { WorkflowCloudError } from './errors.ts';

/** One `nodeInfoList` entry: an input of the workflow to set. */
export interface NodeInfo {
  nodeId: string;
  fieldName: string;
  fieldValue: string | number | boolean;
}

/** What a task runs: a saved workflow or an AI app, with its price. */
export interface RunSource {
  workflowId: string | null;
  webappId: string | null;
  prompt: ComfyPrompt;
  cost: number;
}

/** The prefix of the names uploads get: a `fieldValue` that starts with it names an upload. */
export const uploadPrefix = 'api/';

export function createWorkflows(db: Db) {
  /**
   * A workflow the caller may open: theirs, or another account's public one. Another account's
   * private workflow is as unknown as a missing one (380): its existence is not told.
   */
  async function visibleWorkflow(caller: Caller, workflowId: string): Promise<WorkflowRow> {
    const row = await db
      .selectFrom('workflows')
      .selectAll()
      .where('id', '=', workflowId)
      .executeTakeFirst();
    if (!row || (row.account_id !== caller.account.id && row.public === 0)) {
      throw new WorkflowCloudError('WORKFLOW_NOT_EXISTS');
    }
    return row;
  }

  /** A workflow the caller saved: someone else's public one must be saved as theirs first (810). */
  async function savedWorkflow(caller: Caller, workflowId: string): Promise<WorkflowRow> {
    const row = await visibleWorkflow(caller, workflowId);
    if (row.account_id !== caller.account.id) {
      throw new WorkflowCloudError('WORKFLOW_NOT_SAVED_OR_NOT_RUNNING');
    }
    return row;
  }

  return {
    /** The API JSON of a workflow the caller saved. */
    async apiJson(caller: Caller, workflowId: string): Promise<string> {
      return (await savedWorkflow(caller, workflowId)).prompt;
    },

    /** A saved workflow that was run once on the platform: the API runs only those (810). */
    async workflowToRun(caller: Caller, workflowId: string): Promise<RunSource> {
      const row = await savedWorkflow(caller, workflowId);
      if (row.ran_at === null) {
        throw new WorkflowCloudError('WORKFLOW_NOT_SAVED_OR_NOT_RUNNING');
      }
      return { workflowId, webappId: null, prompt: JSON.parse(row.prompt), cost: row.cost };
    },

    /** An AI app of the platform, anyone's to run (901 when there is none). */
    async webappToRun(webappId: string): Promise<RunSource> {
      const row = await db
        .selectFrom('webapps')
        .selectAll()
        .where('id', '=', webappId)
        .executeTakeFirst();
      if (!row) {
        throw new WorkflowCloudError('WEBAPP_NOT_EXISTS');
      }
      return { workflowId: null, webappId, prompt: JSON.parse(row.prompt), cost: row.cost };
    },

    /** Which of `fileNames` are the caller's uploads. */
    async ownUploads(caller: Caller, fileNames: string[]): Promise<Set<string>> {
      if (fileNames.length === 0) {
        return new Set();
      }
      const rows = await db
        .selectFrom('uploads')
        .select('file_name')
        .where('account_id', '=', caller.account.id)
        .where('file_name', 'in', fileNames)
        .execute();
      return new Set(rows.map((row) => row.file_name));
    },
  };
}

export type Workflows = ReturnType<typeof createWorkflows>;

const isLink = (value: unknown) => Array.isArray(value);

/**
 * The input's new value in the type the workflow gives it (a number may come as a numeric
 * string, as clients often send), or undefined when it cannot have that type.
 */
function coerced(current: unknown, value: NodeInfo['fieldValue']): unknown {
  switch (typeof current) {
    case 'number': {
      const number = typeof value === 'boolean' || value === '' ? Number.NaN : Number(value);
      return Number.isFinite(number) ? number : undefined;
    }
    case 'boolean':
      return typeof value === 'boolean'
        ? value
        : value === 'true' || value === 'false'
          ? value === 'true'
          : undefined;
    case 'string':
      return typeof value === 'boolean' ? undefined : String(value);
    default:
      return undefined;
  }
}

/**
 * The workflow with `nodeInfoList` applied, and the uploads it names. Each entry must name a node
 * of the workflow and one of its inputs that is a value (not a link to another node), with a value
 * of that input's type; a value naming an upload must name one of the caller's (803 otherwise).
 */
export function applyNodeInfo(
  workflow: ComfyPrompt,
  nodeInfoList: readonly NodeInfo[],
  ownUploads: ReadonlySet<string>,
): { prompt: ComfyPrompt; uploads: string[] } {
  const prompt: ComfyPrompt = structuredClone(workflow);
  const uploads = new Set<string>();
  for (const { nodeId, fieldName, fieldValue } of nodeInfoList) {
    const node = Object.hasOwn(prompt, nodeId) ? prompt[nodeId] : undefined;
    const current =
      node && Object.hasOwn(node.inputs, fieldName) ? node.inputs[fieldName] : undefined;
    const value = isLink(current) ? undefined : coerced(current, fieldValue);
    const names = typeof value === 'string' && value.startsWith(uploadPrefix);
    if (!node || value === undefined || (names && !ownUploads.has(value))) {
      throw new WorkflowCloudError('APIKEY_INVALID_NODE_INFO');
    }
    node.inputs[fieldName] = value;
    if (names) {
      uploads.add(value);
    }
  }
  return { prompt, uploads: [...uploads] };
}

/** The values of `nodeInfoList` that name uploads, to look up before `applyNodeInfo`. */
export const namedUploads = (nodeInfoList: readonly NodeInfo[]) =>
  nodeInfoList
    .map((entry) => entry.fieldValue)
    .filter(
      (value): value is string => typeof value === 'string' && value.startsWith(uploadPrefix),
    );
