/** One node of a ComfyUI API-format workflow; a link input is `[nodeId, outputIndex]`. */
export interface ComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
}

/** A ComfyUI API-format workflow: nodes by id. */
export type ComfyPrompt = Record<string, ComfyNode>;

/** A file ComfyUI knows: where `/view` finds it. */
export interface ComfyFile {
  filename: string;
  subfolder: string;
  /** `output`, `input` or `temp`. */
  type: string;
}

/** An image a finished prompt wrote, with the node that wrote it. */
export interface ComfyOutput extends ComfyFile {
  nodeId: string;
}

/** One entry of a prompt's execution log, e.g. `execution_error` with `exception_message`. */
export interface ComfyMessage {
  type: string;
  data: Record<string, unknown>;
}

/** A finished prompt: `error` covers both a failed node and an interrupt (see `messages`). */
export interface ComfyHistory {
  status: 'success' | 'error';
  outputs: ComfyOutput[];
  messages: ComfyMessage[];
}

/** One problem ComfyUI found in a node's input while validating a prompt. */
export interface ComfyNodeError {
  nodeId: string;
  classType: string;
  /** The input at fault, when ComfyUI names one. */
  inputName: string | undefined;
  type: string;
  message: string;
  details: string;
}

/** Thrown by `queuePrompt` when ComfyUI refuses a prompt (HTTP 400); `nodeErrors` may be empty. */
export class ComfyPromptError extends Error {
  override name = 'ComfyPromptError';
  /** The node at fault when ComfyUI names one only in `details` (`Node ID '#3'`), as for an unknown type. */
  readonly nodeId: string | undefined;

  constructor(
    readonly type: string,
    message: string,
    readonly details: string,
    readonly nodeErrors: readonly ComfyNodeError[],
  ) {
    super(message);
    this.nodeId = details.match(/^Node ID '#(.+)'$/)?.[1];
  }
}

/** Whether `error` is a `ComfyPromptError`. */
export const isComfyPromptError = (error: unknown): error is ComfyPromptError =>
  error instanceof ComfyPromptError;

/** Thrown when ComfyUI cannot be reached, answers too late, or answers with an unexpected status. */
export class ComfyUnavailableError extends Error {
  override name = 'ComfyUnavailableError';

  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `error` is a `ComfyUnavailableError`. */
export const isComfyUnavailableError = (error: unknown): error is ComfyUnavailableError =>
  error instanceof ComfyUnavailableError;

/** ComfyUI's HTTP API, typed: every method throws `ComfyUnavailableError` when it cannot answer. */
export interface ComfyClient {
  /** Queues a prompt; throws `ComfyPromptError` when ComfyUI finds it invalid. */
  queuePrompt(prompt: ComfyPrompt, clientId: string): Promise<{ promptId: string }>;
  /** The prompt ids running and waiting, in queue order. */
  queue(): Promise<{ running: string[]; pending: string[] }>;
  /** Removes the prompt from the queue, or interrupts it if it is running; a no-op otherwise. */
  cancel(promptId: string): Promise<void>;
  /** The prompt's result, or `undefined` while it is unknown, waiting or running. */
  history(promptId: string): Promise<ComfyHistory | undefined>;
  /** The bytes of an input or output file. */
  view(file: ComfyFile): Promise<Uint8Array>;
  /** Stores an input image (replacing one of the same name) that a `LoadImage` node can name. */
  uploadImage(
    bytes: Uint8Array,
    filename: string,
    contentType: string,
  ): Promise<{ name: string; subfolder: string; type: string }>;
}

export interface ComfyClientOptions {
  /** Per request, including reading the answer; 10 s by default. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type Call = (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;

function caller(baseUrl: string, timeoutMs: number, fetchImpl: typeof fetch) {
  const call: Call = async (path, { json, ...init } = {}) => {
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers = { 'content-type': 'application/json' };
    }
    try {
      return await fetchImpl(new URL(path, baseUrl), {
        ...init,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ComfyUnavailableError(`ComfyUI at ${baseUrl} did not answer ${path}`, undefined, {
        cause: error,
      });
    }
  };
  // Reading the body can fail or time out too: that is the same unavailability.
  const read = async <T>(response: Response, as: (r: Response) => Promise<T>, path: string) => {
    try {
      return await as(response);
    } catch (error) {
      throw new ComfyUnavailableError(`ComfyUI sent an unreadable answer to ${path}`, undefined, {
        cause: error,
      });
    }
  };
  const expect = async (response: Response, path: string) => {
    if (!response.ok) {
      await response.body?.cancel();
      throw new ComfyUnavailableError(
        `ComfyUI answered ${path} with HTTP ${response.status}`,
        response.status,
      );
    }
  };
  const json = async (path: string, init?: Parameters<Call>[1]): Promise<unknown> => {
    const response = await call(path, init);
    await expect(response, path);
    return read(response, (r) => r.json(), path);
  };
  // ComfyUI answers `/queue` and `/interrupt` posts with an empty 200.
  const post = async (path: string, body: unknown) => {
    const response = await call(path, { method: 'POST', json: body });
    await expect(response, path);
    await response.body?.cancel();
  };
  return { call, read, expect, json, post };
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** The node errors of a 400 from `/prompt`, flattened to one entry per problem. */
function nodeErrors(body: Record<string, unknown>): ComfyNodeError[] {
  return Object.entries(record(body.node_errors)).flatMap(([nodeId, entry]) => {
    const { errors, class_type } = record(entry);
    return (Array.isArray(errors) ? errors : []).map((raw) => {
      const error = record(raw);
      const inputName = record(error.extra_info).input_name;
      return {
        nodeId,
        classType: text(class_type),
        inputName: typeof inputName === 'string' ? inputName : undefined,
        type: text(error.type),
        message: text(error.message),
        details: text(error.details),
      };
    });
  });
}

/** A `/history/{id}` entry as the client reports it. */
function toHistory(entry: Record<string, unknown>): ComfyHistory {
  const status = record(entry.status);
  const outputs = Object.entries(record(entry.outputs)).flatMap(([nodeId, output]) => {
    const images = record(output).images;
    return (Array.isArray(images) ? images : []).map((raw) => {
      const image = record(raw);
      return {
        nodeId,
        filename: text(image.filename),
        subfolder: text(image.subfolder),
        type: text(image.type),
      };
    });
  });
  const messages = (Array.isArray(status.messages) ? status.messages : []).map((raw) => {
    const [type, data] = Array.isArray(raw) ? raw : [];
    return { type: text(type), data: record(data) };
  });
  return { status: status.status_str === 'success' ? 'success' : 'error', outputs, messages };
}

/** The ids of `/queue` items, each `[number, promptId, prompt, extraData, outputs]`. */
const ids = (items: unknown): string[] =>
  (Array.isArray(items) ? items : []).map((item) => (Array.isArray(item) ? text(item[1]) : ''));

/** A client for the ComfyUI (or stand-in) at `baseUrl`. */
export function createComfyClient(baseUrl: string, options: ComfyClientOptions = {}): ComfyClient {
  const { call, read, expect, json, post } = caller(
    baseUrl,
    options.timeoutMs ?? 10_000,
    options.fetch ?? fetch,
  );
  const queue = async () => {
    const body = record(await json('/queue'));
    return { running: ids(body.queue_running), pending: ids(body.queue_pending) };
  };
  return {
    async queuePrompt(prompt, clientId) {
      const response = await call('/prompt', {
        method: 'POST',
        json: { prompt, client_id: clientId },
      });
      if (response.status === 400) {
        const body = record(await read(response, (r) => r.json(), '/prompt'));
        const error = record(body.error);
        throw new ComfyPromptError(
          text(error.type),
          text(error.message) || 'ComfyUI refused the prompt',
          text(error.details),
          nodeErrors(body),
        );
      }
      await expect(response, '/prompt');
      const promptId = record(await read(response, (r) => r.json(), '/prompt')).prompt_id;
      if (typeof promptId !== 'string') {
        throw new ComfyUnavailableError('ComfyUI answered /prompt without a prompt_id');
      }
      return { promptId };
    },
    queue,
    async cancel(promptId) {
      await post('/queue', { delete: [promptId] });
      // Deleting first: a prompt that started meanwhile is now running, and interrupted below.
      if ((await queue()).running.includes(promptId)) {
        await post('/interrupt', { prompt_id: promptId });
      }
    },
    async history(promptId) {
      const body = record(await json(`/history/${encodeURIComponent(promptId)}`));
      // ComfyUI answers `{}` until the prompt has finished.
      return Object.hasOwn(body, promptId) ? toHistory(record(body[promptId])) : undefined;
    },
    async view(file) {
      const { filename, subfolder, type } = file;
      const query = new URLSearchParams({ filename, subfolder, type });
      const path = `/view?${query}`;
      const response = await call(path);
      await expect(response, path);
      return new Uint8Array(await read(response, (r) => r.arrayBuffer(), path));
    },
    async uploadImage(bytes, filename, contentType) {
      const form = new FormData();
      // Copied: a Blob takes only views over an ArrayBuffer, not a SharedArrayBuffer.
      form.set('image', new Blob([new Uint8Array(bytes)], { type: contentType }), filename);
      form.set('type', 'input');
      form.set('overwrite', 'true');
      const body = record(await json('/upload/image', { method: 'POST', body: form }));
      return { name: text(body.name), subfolder: text(body.subfolder), type: text(body.type) };
    },
  };
}
