import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComfyNode, ComfyPrompt } from './client.ts';
import { encodePng } from './png.ts';

export interface ComfyStandInOptions {
  /** How long each prompt runs; 200 ms by default. */
  runMs?: number;
  /** Which node fails when run; by default a `CLIPTextEncode` whose text contains "fail". */
  failWhen?: (node: ComfyNode, nodeId: string) => boolean;
}

export interface ComfyStandIn {
  url: string;
  close(): Promise<void>;
}

/** The node types the stand-in runs, with their required inputs (a subset of ComfyUI's). */
const requiredInputs: Readonly<Record<string, readonly string[]>> = {
  CheckpointLoaderSimple: ['ckpt_name'],
  CLIPTextEncode: ['text', 'clip'],
  EmptyLatentImage: ['width', 'height', 'batch_size'],
  KSampler: [
    'model',
    'seed',
    'steps',
    'cfg',
    'sampler_name',
    'scheduler',
    'positive',
    'negative',
    'latent_image',
    'denoise',
  ],
  VAEDecode: ['samples', 'vae'],
  SaveImage: ['images', 'filename_prefix'],
  LoadImage: ['image'],
};

interface Problem {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

interface Rejection {
  error: Problem;
  node_errors: Record<string, { errors: Problem[]; class_type: string }>;
}

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isLink = (value: unknown): value is [string, number] =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  Number.isInteger(value[1]);

const failure = (type: string, message: string, details = ''): Rejection => ({
  error: { type, message, details, extra_info: {} },
  node_errors: {},
});

/** What ComfyUI would find wrong with one node's inputs. */
function nodeProblems(node: ComfyNode, prompt: Json, isInput: (path: string) => boolean) {
  const problems: Problem[] = [];
  const inputs = node.inputs;
  for (const name of requiredInputs[node.class_type] ?? []) {
    if (!Object.hasOwn(inputs, name)) {
      problems.push({
        type: 'required_input_missing',
        message: 'Required input is missing',
        details: name,
        extra_info: { input_name: name },
      });
    }
  }
  for (const [name, value] of Object.entries(inputs)) {
    if (isLink(value) && !Object.hasOwn(prompt, value[0])) {
      const details = `${name}: node '${value[0]}' is not in the prompt`;
      problems.push({
        type: 'bad_linked_input',
        message: 'Linked node does not exist',
        details,
        extra_info: { input_name: name },
      });
    }
  }
  const image = inputs.image;
  if (node.class_type === 'LoadImage' && image !== undefined && !isInput(String(image))) {
    const details = `image - Invalid image file: ${String(image)}`;
    problems.push({
      type: 'custom_validation_failed',
      message: 'Custom validation failed for node',
      details,
      extra_info: { input_name: 'image' },
    });
  }
  return problems;
}

/** ComfyUI's 400 answer for `prompt`, or `undefined` when it can be queued. */
function validate(prompt: unknown, isInput: (path: string) => boolean): Rejection | undefined {
  if (!isRecord(prompt)) {
    return failure('no_prompt', 'No prompt provided');
  }
  for (const [id, node] of Object.entries(prompt)) {
    // As ComfyUI: a node without a known type fails the whole prompt, named in `details`.
    if (!isRecord(node) || typeof node.class_type !== 'string' || !isRecord(node.inputs)) {
      const message = 'Cannot execute because a node is missing the class_type property.';
      return failure('invalid_prompt', message, `Node ID '#${id}'`);
    }
    if (!Object.hasOwn(requiredInputs, node.class_type)) {
      const message = `Cannot execute because node ${node.class_type} does not exist.`;
      return failure('invalid_prompt', message, `Node ID '#${id}'`);
    }
  }
  const nodes = Object.entries(prompt as ComfyPrompt);
  if (!nodes.some(([, node]) => node.class_type === 'SaveImage')) {
    return failure('prompt_no_outputs', 'Prompt has no outputs');
  }
  const rejection = failure('prompt_outputs_failed_validation', 'Prompt outputs failed validation');
  for (const [id, node] of nodes) {
    const errors = nodeProblems(node, prompt, isInput);
    if (errors.length > 0) {
      rejection.node_errors[id] = { errors, class_type: node.class_type };
    }
  }
  return Object.keys(rejection.node_errors).length > 0 ? rejection : undefined;
}

/** The size of the `EmptyLatentImage` upstream of `nodeId`, at most 512 a side; else 64×64. */
function imageSize(
  prompt: ComfyPrompt,
  nodeId: string,
  seen = new Set<string>(),
): { width: number; height: number } | undefined {
  const node = prompt[nodeId];
  if (node === undefined || seen.has(nodeId)) {
    return undefined;
  }
  seen.add(nodeId);
  if (node.class_type === 'EmptyLatentImage') {
    const side = (value: unknown) => Math.min(512, Math.max(1, Math.trunc(Number(value)) || 64));
    return { width: side(node.inputs.width), height: side(node.inputs.height) };
  }
  for (const value of Object.values(node.inputs)) {
    const size = isLink(value) ? imageSize(prompt, value[0], seen) : undefined;
    if (size !== undefined) {
      return size;
    }
  }
  return undefined;
}

interface Job {
  number: number;
  id: string;
  prompt: ComfyPrompt;
  clientId: string;
}

interface Stored {
  bytes: Uint8Array;
  contentType: string;
}

const fileKey = (type: string, subfolder: string, filename: string) =>
  `${type}/${subfolder ? `${subfolder}/` : ''}${filename}`;

type Files = Map<string, Stored>;

type FailWhen = NonNullable<ComfyStandInOptions['failWhen']>;

const message = (type: string, job: Job, data: Json = {}): [string, Json] => [
  type,
  { prompt_id: job.id, timestamp: Date.now(), ...data },
];

/** A `/history/{id}` entry as ComfyUI keeps it: an interrupt or a failure is not `completed`. */
const historyEntry = (job: Job, outputs: Json, ok: boolean, last: [string, Json]): Json => ({
  prompt: [job.number, job.id, job.prompt, { client_id: job.clientId }, []],
  outputs,
  status: {
    status_str: ok ? 'success' : 'error',
    completed: ok,
    messages: [message('execution_start', job), last],
  },
});

/** Writes a SaveImage node's PNG named as ComfyUI does (`<prefix>_00001_.png`, counted per prefix). */
function saveImage(files: Files, counters: Map<string, number>, job: Job, nodeId: string) {
  const prefix = String(job.prompt[nodeId]?.inputs.filename_prefix ?? 'ComfyUI');
  const slash = prefix.lastIndexOf('/');
  const subfolder = slash < 0 ? '' : prefix.slice(0, slash);
  const count = (counters.get(prefix) ?? 0) + 1;
  counters.set(prefix, count);
  const filename = `${prefix.slice(slash + 1)}_${String(count).padStart(5, '0')}_.png`;
  const { width, height } = imageSize(job.prompt, nodeId) ?? { width: 64, height: 64 };
  const bytes = encodePng(width, height, (x, y) => [
    Math.round((255 * x) / width),
    Math.round((255 * y) / height),
    count % 256,
  ]);
  files.set(fileKey('output', subfolder, filename), { bytes, contentType: 'image/png' });
  return { filename, subfolder, type: 'output' };
}

/** Runs a prompt to its history entry: the first node `failWhen` picks fails it. */
function execute(job: Job, failWhen: FailWhen, save: (nodeId: string) => Json): Json {
  const nodes = Object.entries(job.prompt);
  const failing = nodes.find(([id, node]) => failWhen(node, id));
  if (failing !== undefined) {
    const [node_id, { class_type: node_type }] = failing;
    const detail = {
      node_id,
      node_type,
      executed: [],
      exception_message: `${node_type} (node ${node_id}) failed in the stand-in`,
      exception_type: 'RuntimeError',
      traceback: [],
    };
    return historyEntry(job, {}, false, message('execution_error', job, detail));
  }
  const outputs: Json = {};
  for (const [id, node] of nodes) {
    if (node.class_type === 'SaveImage') {
      outputs[id] = { images: [save(id)] };
    }
  }
  return historyEntry(job, outputs, true, message('execution_success', job));
}

/** The queue, the runner and the file store behind the stand-in's endpoints. */
function createExecutor(runMs: number, failWhen: FailWhen) {
  const pending: Job[] = [];
  let running: { job: Job; timer: NodeJS.Timeout } | undefined;
  const history = new Map<string, Json>();
  const files: Files = new Map();
  const counters = new Map<string, number>();
  let number = 0;

  const next = () => {
    const job = running === undefined ? pending.shift() : undefined;
    if (job !== undefined) {
      const timer = setTimeout(() => {
        running = undefined;
        history.set(
          job.id,
          execute(job, failWhen, (id) => saveImage(files, counters, job, id)),
        );
        next();
      }, runMs);
      running = { job, timer };
    }
  };

  return {
    files,
    history,
    queued(prompt: ComfyPrompt, clientId: string) {
      const job = { number: number++, id: randomUUID(), prompt, clientId };
      pending.push(job);
      next();
      return job;
    },
    queue: () => {
      const item = (job: Job) => [job.number, job.id, job.prompt, { client_id: job.clientId }, []];
      return {
        queue_running: running ? [item(running.job)] : [],
        queue_pending: pending.map(item),
      };
    },
    remove(ids: unknown[]) {
      for (let i = pending.length - 1; i >= 0; i--) {
        if (ids.includes(pending[i]?.id)) {
          pending.splice(i, 1);
        }
      }
    },
    /** Stops the running prompt (only if it is `promptId`, when given), as ComfyUI's interrupt. */
    interrupt(promptId: unknown) {
      if (running === undefined || (promptId !== undefined && promptId !== running.job.id)) {
        return;
      }
      const { job, timer } = running;
      clearTimeout(timer);
      running = undefined;
      const [node_id = '', node] = Object.entries(job.prompt)[0] ?? [];
      const detail = { node_id, node_type: node?.class_type ?? '', executed: [] };
      history.set(
        job.id,
        historyEntry(job, {}, false, message('execution_interrupted', job, detail)),
      );
      next();
    },
    stop: () => clearTimeout(running?.timer),
  };
}

type Executor = ReturnType<typeof createExecutor>;

/** What the stand-in answers: JSON, a stored file, or an empty body. */
type Answer = { status: number; json?: unknown; file?: Stored };

const send = (response: ServerResponse, { status, json, file }: Answer) => {
  if (file !== undefined) {
    response.writeHead(status, { 'content-type': file.contentType });
    return response.end(file.bytes);
  }
  response.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
  response.end(json === undefined ? undefined : JSON.stringify(json));
};

/** `/upload/image`: stores the multipart `image` as ComfyUI does, renaming it unless `overwrite`. */
async function upload(executor: Executor, body: Buffer, contentType: string) {
  const form = await new Response(new Uint8Array(body), {
    headers: { 'content-type': contentType },
  }).formData();
  const image = form.get('image');
  if (!(image instanceof File) || image.name === '') {
    return undefined;
  }
  const subfolder = String(form.get('subfolder') ?? '');
  const type = String(form.get('type') ?? 'input');
  const overwrite = ['true', '1'].includes(String(form.get('overwrite')));
  const base = image.name.split(/[\\/]/).pop() ?? image.name;
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  let name = base;
  for (let i = 1; !overwrite && executor.files.has(fileKey(type, subfolder, name)); i++) {
    name = `${stem} (${i})${ext}`;
  }
  const bytes = new Uint8Array(await image.arrayBuffer());
  executor.files.set(fileKey(type, subfolder, name), { bytes, contentType: image.type });
  return { name, subfolder, type };
}

const parse = (body: Buffer): Json => {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
};

/** `GET /view?filename=&subfolder=&type=`: a stored file's bytes. */
function view(executor: Executor, query: URLSearchParams): Answer {
  const type = query.get('type') || 'output';
  const file = executor.files.get(
    fileKey(type, query.get('subfolder') ?? '', query.get('filename') ?? ''),
  );
  return file === undefined ? { status: 404 } : { status: 200, file };
}

/** `POST /prompt`: queues a valid prompt, or answers ComfyUI's 400 naming what is wrong. */
function queuePrompt(executor: Executor, body: Buffer): Answer {
  const { prompt, client_id } = parse(body);
  const rejection = validate(prompt, (path) => executor.files.has(`input/${path}`));
  if (rejection !== undefined) {
    return { status: 400, json: rejection };
  }
  const job = executor.queued(prompt as ComfyPrompt, String(client_id ?? ''));
  return { status: 200, json: { prompt_id: job.id, number: job.number, node_errors: {} } };
}

/** Answers one request; the body has been read whole. */
async function route(executor: Executor, request: IncomingMessage, body: Buffer): Promise<Answer> {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const at = `${request.method} ${url.pathname}`;
  const historyId = at.match(/^GET \/history\/([^/]+)$/)?.[1];
  if (historyId !== undefined) {
    const promptId = decodeURIComponent(historyId);
    const entry = executor.history.get(promptId);
    return { status: 200, json: entry === undefined ? {} : { [promptId]: entry } };
  }
  switch (at) {
    case 'POST /prompt':
      return queuePrompt(executor, body);
    case 'GET /queue':
      return { status: 200, json: executor.queue() };
    case 'POST /queue': {
      const { delete: ids } = parse(body);
      executor.remove(Array.isArray(ids) ? ids : []);
      return { status: 200 };
    }
    case 'POST /interrupt':
      executor.interrupt(parse(body).prompt_id);
      return { status: 200 };
    case 'GET /view':
      return view(executor, url.searchParams);
    case 'POST /upload/image': {
      const stored = await upload(executor, body, request.headers['content-type'] ?? '');
      return stored === undefined ? { status: 400 } : { status: 200, json: stored };
    }
    default:
      return { status: 404 };
  }
}

/**
 * A local ComfyUI answering `/prompt`, `/queue`, `/interrupt`, `/history/{id}`, `/view` and
 * `/upload/image` like the real one, for `npm start` and tests; production sets COMFYUI_URL.
 */
export async function startComfyStandIn(options: ComfyStandInOptions = {}): Promise<ComfyStandIn> {
  const failWhen =
    options.failWhen ??
    ((node: ComfyNode) =>
      node.class_type === 'CLIPTextEncode' && String(node.inputs.text).includes('fail'));
  const executor = createExecutor(options.runMs ?? 200, failWhen);
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      try {
        send(response, await route(executor, request, Buffer.concat(chunks)));
      } catch {
        // A malformed multipart body: ComfyUI answers such uploads with 400 too.
        send(response, { status: 400 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      executor.stop();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
