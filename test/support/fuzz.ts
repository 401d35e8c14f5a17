import { readFileSync } from 'node:fs';
import http from 'node:http';
import { relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { identifyError } from '../../src/catalog/envelopes.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { roleBody, roleCode } from '../../src/catalog/platform.js';
import type { Catalog } from '../../src/catalog/types.js';
import { faultCodes } from '../../src/platform/roles.ts';
import {
  type ContractDocument,
  type DocumentOperation,
  loadDocument,
  type ValidRequest,
} from './documents.ts';
import { type Edit, type FuzzCase, generateCases, type Variants } from './fuzz-cases.ts';

// The negative-input fuzz run: every case of test/support/fuzz-cases.ts sent to a target (a
// server or the mock), each answer checked against what its operation documents. It runs every
// case, then reports every answer the document does not describe, with the seed to replay it.

/** A request exactly as sent: `path` carries the base path and the query, raw. */
export interface FuzzRequest {
  method: string;
  path: string;
  /** Lowercase names. */
  headers: Record<string, string>;
  body?: Buffer;
}

/**
 * A file of a multipart valid request (the value of a file field in `ValidRequest.body`): its
 * bytes as they are, in a part with this Content-Type. A file field given as text is sent as text,
 * in a part without one.
 */
export interface FilePart {
  bytes: Uint8Array;
  contentType: string;
  filename?: string;
}

const isFilePart = (value: unknown): value is FilePart =>
  typeof value === 'object' && value !== null && (value as FilePart).bytes instanceof Uint8Array;

/** A valid request of an operation, and what sends it as its caller would. */
export interface Prepared {
  request: ValidRequest;
  /** Adds credentials to the request as built; with `variant`, credentials wrong in that way. */
  authorize?: (request: FuzzRequest, variant?: string) => FuzzRequest;
  /** Runs once the answer is in: puts back what preparing took. */
  release?: () => Promise<void>;
}

/** What to fuzz: a server or a mock serving generated/<service>/openapi.yaml. */
interface FuzzTarget {
  /** Names the run (`task-market`, `task-market mock`); its test's title starts `<label> fuzz`. */
  label: string;
  service: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Defaults to the request the document's examples make, sent as it is. */
  prepare?: (operation: DocumentOperation) => Promise<Prepared> | Prepared;
  variants?: Variants;
}

interface FuzzResult {
  requests: number;
  /** Invalid requests that differ in their bytes; the rest of the requests are valid ones. */
  distinct: number;
  undocumented: number;
  /** Every undocumented answer and the command that replays the run; empty when there are none. */
  report: string;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

interface Finding {
  kase: FuzzCase;
  request?: FuzzRequest;
  answer?: Answer;
  problems: string[];
}

interface Run {
  target: FuzzTarget;
  document: ContractDocument;
  operations: Map<string, DocumentOperation>;
  catalog: Catalog;
  agent: http.Agent;
  requests: number;
}

const defaultSeed = 20261122;
const concurrency = 8;
const timeoutMs = 15_000;

/** Sends every case to the target, checks every answer, and prints `<label> fuzz: N requests…`. */
export async function runFuzz(target: FuzzTarget): Promise<FuzzResult> {
  const seed = fuzzSeed(process.env.FUZZ_SEED);
  const document = loadDocument(target.service);
  const catalog = loadCatalog(`openapi/${target.service}/errors.yaml`);
  const cases = generateCases(document, { seed, variants: target.variants });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const operations = new Map(document.operations.map((item) => [item.operationId, item]));
  const run: Run = { target, document, operations, catalog, agent, requests: 0 };
  const findings: Finding[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let kase = cases[next++]; kase; kase = cases[next++]) {
          const finding = await runCase(run, kase);
          if (finding) {
            findings.push(finding);
          }
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const file = relative(process.cwd(), expect.getState().testPath ?? '');
  const rerun = `FUZZ_SEED=${seed} npx vitest run ${file} -t "${target.label} fuzz"`;
  const line = `${target.label} fuzz: ${run.requests} requests, ${findings.length} undocumented`;
  // Distinct: the generator keeps no two cases that change the request alike.
  const distinct = cases.filter((kase) => kase.kind !== 'valid').length;
  const counts = `${distinct} distinct invalid requests, ${cases.length - distinct} valid ones`;
  process.stdout.write(`\n${line}\n${counts}; seed ${seed}; replay: ${rerun}\n`);
  return {
    requests: run.requests,
    distinct,
    undocumented: findings.length,
    report: findings.length === 0 ? '' : report(`${line}\n${counts}`, rerun, findings),
  };
}

/** `FUZZ_SEED`, a 32-bit unsigned integer, else the fixed default. */
function fuzzSeed(value: string | undefined): number {
  if (!value) {
    return defaultSeed;
  }
  const seed = Number(value);
  if (!/^\d+$/.test(value) || seed > 0xffffffff) {
    throw new Error(`FUZZ_SEED must be a 32-bit unsigned integer, not ${value}`);
  }
  return seed;
}

/** Sends one case; a case that cannot be built or sent is a finding too. */
async function runCase(run: Run, kase: FuzzCase): Promise<Finding | undefined> {
  const operation = run.operations.get(kase.operationId) as DocumentOperation;
  const problems: string[] = [];
  let prepared: Prepared | undefined;
  let request: FuzzRequest | undefined;
  let answer: Answer | undefined;
  try {
    prepared = (await run.target.prepare?.(operation)) ?? {
      request: run.document.validRequest(operation.operationId),
    };
    request = caseRequest(run.document.basePath, operation, prepared, kase.edit);
    run.requests++;
    answer = await send(run, request);
    problems.push(...undocumented(run.document, run.catalog, request, answer));
    if (kase.kind === 'valid' && (answer.status < 200 || answer.status > 299)) {
      problems.push(`a valid request answered ${answer.status}`);
    } else if (kase.kind === 'valid') {
      // Where the catalog puts codes in a 2xx body (workflow-cloud's HTTP 200 for everything),
      // a valid request must not answer one.
      const refused = errorEntry(run.catalog, answer.status, parse(answer.text));
      if (refused) {
        problems.push(`a valid request answered ${answer.status} ${refused.name}`);
      }
    }
  } catch (error) {
    problems.push(`the case failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    await prepared?.release?.();
  } catch (error) {
    problems.push(`release failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return problems.length > 0 ? { kase, request, answer, problems } : undefined;
}

/** A case's request as its caller sends it: built, authorized, then its header changed. */
export function caseRequest(
  basePath: string,
  operation: DocumentOperation,
  prepared: Prepared,
  edit: Edit,
): FuzzRequest {
  // A header is changed before the credentials, which may cover it, and again after them.
  const header = (request: FuzzRequest) =>
    edit.type === 'header'
      ? { ...request, headers: withoutNulls({ ...request.headers, [edit.name]: edit.value }) }
      : request;
  const built = header(buildRequest(basePath, operation, prepared.request, edit));
  const authorize = prepared.authorize ?? ((request: FuzzRequest) => request);
  return header(authorize(built, edit.type === 'variant' ? edit.name : undefined));
}

/** The valid request with the case's change; path and query values percent-encoded. */
function buildRequest(
  basePath: string,
  operation: DocumentOperation,
  valid: ValidRequest,
  edit: Edit,
): FuzzRequest {
  const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    edit.type === 'segment' && edit.name === name
      ? edit.raw
      : encodeURIComponent(String(valid.params.path[name])),
  );
  const query: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(valid.params.query)) {
    query[encodeURIComponent(name)] = encodeURIComponent(String(value));
  }
  if (edit.type === 'query') {
    query[edit.name] = edit.value;
  }
  const search = Object.entries(withoutNulls(query)).map(([name, value]) => `${name}=${value}`);
  const { body, contentType } = requestBody(valid, edit);
  const headers: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(valid.headers)) {
    headers[name.toLowerCase()] = value;
  }
  headers['content-type'] = contentType;
  const suffix = edit.type === 'suffix' ? edit.raw : '';
  return {
    method: operation.method,
    path: `${basePath}${path}${suffix}${search.length > 0 ? `?${search.join('&')}` : ''}`,
    headers: withoutNulls(headers),
    body,
  };
}

function requestBody(
  valid: ValidRequest,
  edit: Edit,
): { body?: Buffer; contentType: string | null } {
  if (edit.type === 'body') {
    return { body: Buffer.from(edit.raw), contentType: edit.contentType };
  }
  if (valid.body === undefined) {
    return { contentType: null };
  }
  if (edit.type !== 'field') {
    return encode(valid.body, valid);
  }
  // The field's JSON text goes in as written (`-0`, `9007199254740993`), through a placeholder.
  const set = (object: unknown, [name = '', ...rest]: string[]): Record<string, unknown> => {
    const { [name]: inner, ...others } = (object ?? {}) as Record<string, unknown>;
    const value = rest.length > 0 ? set(inner, rest) : edit.json === undefined ? undefined : raw;
    return value === undefined ? others : { ...others, [name]: value };
  };
  const encoded = encode(set(valid.body, edit.path), valid);
  const json = encoded.contentType.includes('json');
  const value = parse(edit.json ?? '');
  const text = json || typeof value !== 'string' ? (edit.json ?? '') : value;
  // Replaced in the bytes: a multipart body may hold a file's, which are no UTF-8.
  const placeholder = Buffer.from(json ? JSON.stringify(raw) : raw);
  const at = encoded.body.indexOf(placeholder);
  const body =
    at < 0
      ? encoded.body
      : Buffer.concat([
          encoded.body.subarray(0, at),
          Buffer.from(text),
          encoded.body.subarray(at + placeholder.length),
        ]);
  return { ...encoded, body };
}

const raw = 'fuzz-raw-value-3c5e1a';

const boundary = 'fuzz-7d1f0c2a9b';

function encode(value: unknown, valid: ValidRequest): { body: Buffer; contentType: string } {
  const type = valid.contentType ?? 'application/json';
  if (!type.startsWith('multipart/form-data')) {
    return {
      body: Buffer.from(type.includes('json') ? JSON.stringify(value) : String(value)),
      contentType: type,
    };
  }
  const parts = Object.entries(value as Record<string, unknown>).map(([name, field]) => {
    const part = isFilePart(field) ? field : undefined;
    const file = part !== undefined || valid.fileFields?.includes(name);
    const filename = part?.filename ?? `${name}.bin`;
    const disposition = `form-data; name="${name}"${file ? `; filename="${filename}"` : ''}`;
    const type = part ? `\r\nContent-Type: ${part.contentType}` : '';
    const text = typeof field === 'string' ? field : JSON.stringify(field);
    return Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`),
      part ? part.bytes : Buffer.from(text),
      Buffer.from('\r\n'),
    ]);
  });
  return {
    body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

function withoutNulls(values: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

/** Sends a request as written; Node sets Content-Length from the body, 0 without one. */
function send(run: Run, request: FuzzRequest): Promise<Answer> {
  const { hostname, port } = new URL(run.target.origin);
  const { method, path, headers, body } = request;
  return new Promise((resolve, reject) => {
    const options = { agent: run.agent, host: hostname, port, method, path, headers };
    const outgoing = http.request(options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = response.headers['content-type'] ?? '';
        resolve({ status: response.statusCode ?? 0, contentType, text });
      });
    });
    outgoing.setTimeout(timeoutMs, () =>
      outgoing.destroy(new Error(`no answer in ${timeoutMs} ms`)),
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * Why an answer is not documented; empty when it is. A server routes the raw path and a mock the
 * path as a URL parser normalises it (`/tasks/..` is `/`), so the answer may be documented for
 * either path's operation, or be the unknown-path answer where either path has none.
 */
export function undocumented(
  document: ContractDocument,
  catalog: Catalog,
  request: FuzzRequest,
  answer: Answer,
): string[] {
  const raw = request.path.split('?')[0] ?? '';
  const readings = [raw, new URL(raw, 'http://127.0.0.1').pathname].map((path) => {
    const operation = operationAt(document, request.method, path);
    return operation
      ? judge(document, catalog, operation, answer)
      : unknownPathProblems(catalog, answer);
  });
  return readings.some((problems) => problems.length === 0) ? [] : [...new Set(readings.flat())];
}

/** The operation a path is for; a literal segment wins over a parameter (`/agents/me`). */
function operationAt(document: ContractDocument, method: string, path: string) {
  const segments = path.split('/');
  const fits = (operation: DocumentOperation) => {
    const template = `${document.basePath}${operation.path}`.split('/');
    return (
      template.length === segments.length &&
      template.every((part, index) =>
        part.startsWith('{') ? segments[index] !== '' : segments[index] === part,
      )
    );
  };
  const parameters = (operation: DocumentOperation) => operation.path.split('{').length;
  return document.operations
    .filter((operation) => operation.method === method && fits(operation))
    .sort((a, b) => parameters(a) - parameters(b))[0];
}

/** What the operation does not document about an answer: status, content type, body (a stream's
 * events), code. */
function judge(
  document: ContractDocument,
  catalog: Catalog,
  operation: DocumentOperation,
  answer: Answer,
): string[] {
  const problems = answer.status >= 500 ? [`a ${answer.status}`] : [];
  // A fault of the server (its `internal` or `databaseDown` code) is never an answer to input,
  // even in an envelope sent at HTTP 200.
  const fault = identifyError(catalog, parse(answer.text))?.entry.name;
  if (fault !== undefined && faultCodes(catalog.platform).has(fault)) {
    problems.push(`the server's fault ${fault}`);
  }
  const types = operation.responses[String(answer.status)];
  if (!types) {
    return [...problems, `${operation.operationId} documents no ${answer.status}`];
  }
  if (types.length === 0) {
    return answer.text === '' ? problems : [...problems, `a body where ${answer.status} has none`];
  }
  const type = mediaType(answer.contentType);
  const body = type.includes('json') ? parse(answer.text) : answer.text;
  if (body === undefined) {
    return [...problems, `the ${type} body is not JSON`];
  }
  problems.push(...document.validate(operation.operationId, answer.status, type, body));
  if (type === 'text/event-stream') {
    problems.push(...streamProblems(document, operation, answer.status, answer.text));
  }
  const entry = errorEntry(catalog, answer.status, body);
  if (entry && !operation.errors.includes(entry.name)) {
    problems.push(`code ${entry.name} is not in x-errors`);
  }
  if (entry?.surface === 'http' && entry.status !== answer.status) {
    problems.push(`code ${entry.name} is documented at ${entry.status}`);
  }
  return problems;
}

/**
 * What is wrong with the events of a text/event-stream answer: each event's `data` must be JSON
 * valid against the `x-event-schema` of the operation's documented stream (when it has one), and
 * the stream must not end in the middle of an event.
 */
function streamProblems(
  document: ContractDocument,
  operation: DocumentOperation,
  status: number,
  text: string,
): string[] {
  const check = eventCheck(document.service, operation, status);
  if (!check) {
    return [];
  }
  const problems: string[] = [];
  let data: string[] = [];
  let count = 0;
  const dispatch = () => {
    if (data.length === 0) {
      return;
    }
    count++;
    const event = parse(data.join('\n'));
    data = [];
    const wrong = event === undefined ? ['its data is not JSON'] : check(event);
    if (wrong.length > 0) {
      problems.push(`event ${count} is not a documented event: ${wrong.join(', ')}`);
    }
  };
  // An event ends at a blank line; a line is `field: value` (one space dropped) or a `:` comment.
  const lines = text.split(/\r\n|\r|\n/);
  // What follows the last line break: a line never ended.
  const rest = lines.pop();
  for (const line of lines) {
    if (line === '') {
      dispatch();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field === 'data') {
      data.push(colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, ''));
    }
  }
  if (data.length > 0 || rest) {
    problems.push('the stream ends in the middle of an event');
  }
  return problems;
}

/** A document as parsed, with its schemas compiled on demand by JSON pointer. */
interface RawDocument {
  at(pointer: string[]): unknown;
  compile(fragment: string): ValidateFunction | undefined;
}

const rawDocuments = new Map<string, RawDocument>();

function rawDocument(service: string): RawDocument {
  const known = rawDocuments.get(service);
  if (known) {
    return known;
  }
  const raw = parseYaml(readFileSync(`generated/${service}/openapi.yaml`, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...raw, $id: 'doc' });
  const read: RawDocument = {
    at: (pointer) =>
      pointer.reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], raw),
    compile: (fragment) => ajv.getSchema(`doc${fragment}`),
  };
  rawDocuments.set(service, read);
  return read;
}

/**
 * What is wrong with one event of an operation's stream at `status`, by its `x-event-schema`;
 * undefined where the stream has none. An event of a `discriminator`'s type is checked against
 * that type's schema alone, for errors that say what it lacks.
 */
function eventCheck(service: string, operation: DocumentOperation, status: number) {
  const read = rawDocument(service);
  const method = operation.method.toLowerCase();
  const media = ['content', 'text/event-stream', 'schema', 'x-event-schema'];
  const pointer = ['paths', operation.path, method, 'responses', String(status), ...media];
  const schema = read.at(pointer) as
    | { discriminator?: { propertyName: string; mapping?: Record<string, string> } }
    | undefined;
  if (!schema) {
    return undefined;
  }
  const escaped = pointer.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1'));
  const whole = read.compile(`#/${escaped.join('/')}`);
  const { propertyName = '', mapping = {} } = schema.discriminator ?? {};
  return (event: unknown): string[] => {
    const kind = (event as Record<string, unknown> | null)?.[propertyName];
    const ref = typeof kind === 'string' && Object.hasOwn(mapping, kind) ? mapping[kind] : '';
    if (propertyName && !ref) {
      return [`${propertyName} ${JSON.stringify(kind)} is none of ${Object.keys(mapping)}`];
    }
    const check = ref ? read.compile(ref) : whole;
    if (!check) {
      return [`no schema at ${ref || pointer.join('/')}`];
    }
    return check(event)
      ? []
      : (check.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
  };
}

/**
 * The catalog entry an answer carries. Errors travel at non-2xx statuses, and at a 2xx only where
 * the catalog puts codes in the body at that status: a 2xx resource may have an `error.code` field.
 */
function errorEntry(catalog: Catalog, status: number, body: unknown) {
  const carries =
    status > 299 ||
    catalog.errors.some((entry) => entry.surface === 'body' && entry.status === status);
  return carries ? identifyError(catalog, body)?.entry : undefined;
}

/** What is wrong with the answer to a path no operation has: it must be the catalog's. */
function unknownPathProblems(catalog: Catalog, answer: Answer): string[] {
  const body = roleBody(catalog.platform.unknownPath);
  if (body) {
    // A body that is no code (divination's 404 problem) is sent as documented.
    const sent =
      answer.status === body.status && isDeepStrictEqual(parse(answer.text), body.example);
    return sent
      ? []
      : [`an unknown path answered ${answer.status} ${answer.text}, not the catalog's`];
  }
  const expected = roleCode(catalog.platform.unknownPath);
  const entry = identifyError(catalog, parse(answer.text))?.entry;
  const documented =
    entry !== undefined &&
    entry.name === expected &&
    entry.status === answer.status &&
    mediaType(answer.contentType) === catalog.wire.contentType;
  return documented
    ? []
    : [
        `an unknown path answered ${answer.status} ${entry?.name ?? 'without a code'}, not ${expected}`,
      ];
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The failure message: the findings grouped by operation, kind and status, one example each. */
function report(line: string, rerun: string, findings: Finding[]): string {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings.sort((a, b) =>
    a.kase.id.localeCompare(b.kase.id, 'en', { numeric: true }),
  )) {
    const { kase, request, answer } = finding;
    const key = `${kase.operationId} ${kase.kind} → ${answer?.status ?? (request ? 'no answer' : 'not sent')}`;
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  const examples = [...groups].flatMap(([key, group]) => [
    `${key} ×${group.length}, such as:`,
    ...example(group[0] as Finding),
  ]);
  return [line, `replay (at the run's concurrency of ${concurrency}): ${rerun}`, ...examples].join(
    '\n',
  );
}

function example({ kase, request, answer, problems }: Finding): string[] {
  const cut = (text = '', length = 300) =>
    text.length > length ? `${text.slice(0, length)}…(${text.length} chars)` : text;
  const body = request?.body ?? Buffer.alloc(0);
  return [
    `  ${kase.id} at ${kase.where}: ${kase.detail}`,
    request
      ? `  ${request.method} ${cut(request.path)} ${cut(JSON.stringify(request.headers))}`
      : '  (not sent)',
    `  body (${body.length} bytes): ${cut(body.subarray(0, 400).toString())}`,
    answer ? `  → ${answer.status} ${answer.contentType} ${cut(answer.text)}` : '  → no answer',
    `  problems: ${problems.join('; ')}`,
  ];
}
