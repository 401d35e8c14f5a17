import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname } from 'node:path';
import { identifyError } from '../../src/catalog/envelopes.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { roleCode } from '../../src/catalog/platform.js';
import { type ContractDocument, loadDocument, type ValidRequest } from './documents.ts';
import {
  type Edit,
  type FuzzCase,
  type FuzzDocument,
  type FuzzOperation,
  generateCases,
  percentEncode,
  readFuzzDocument,
  type SecurityScheme,
} from './fuzz-cases.ts';

// The negative-input fuzz run: every case of test/support/fuzz-cases.ts sent to a target (a
// server or the mock), each answer checked against the operation's documentation. It never stops
// at the first failure; it returns every undocumented answer, and a summary grouped by operation,
// kind of input, status and code.

export type { FuzzCase, FuzzOperation } from './fuzz-cases.ts';

/** A request exactly as sent: the path carries the base path and the query, raw. */
export interface FuzzRequest {
  method: string;
  path: string;
  /** Lowercase names. */
  headers: Record<string, string>;
  body?: Buffer;
}

/** The valid request a case starts from, and what the target needs to authorize it. */
export interface Prepared<Context = unknown> {
  request: ValidRequest;
  /** Whatever `authorize` and the variants need: a session, keys. */
  context?: Context;
  /** Runs once the answer is in: puts back what `prepare` took (an agent, a task). */
  release?: () => Promise<void>;
}

/** A target's own way of getting credentials wrong, applied to the authorized request. */
export interface CredentialVariant<Context = unknown> {
  name: string;
  /** The security scheme it breaks; it applies to the operations that require it. */
  scheme: string;
  apply(request: FuzzRequest, prepared: Prepared<Context>, operation: FuzzOperation): FuzzRequest;
}

/** What to fuzz: any server or mock that serves a bundled document. */
export interface FuzzTarget<Context = unknown> {
  service: string;
  /** `http://127.0.0.1:<port>`; requests never leave the machine. */
  origin: string;
  /** Defaults to the document's `servers[0].url`. */
  basePath?: string;
  /** Defaults to generated/<service>/openapi.yaml. */
  documentFile?: string;
  /** Defaults to openapi/<service>/errors.yaml. */
  catalogFile?: string;
  /** A valid request of an operation; defaults to the document's examples. */
  prepare?: (operation: FuzzOperation) => Promise<Prepared<Context>> | Prepared<Context>;
  /** Adds credentials and signatures to a request built without them; defaults to none. */
  authorize?: (
    request: FuzzRequest,
    prepared: Prepared<Context>,
    operation: FuzzOperation,
  ) => FuzzRequest;
  variants?: CredentialVariant<Context>[];
}

export interface FuzzOptions {
  seed?: number;
  casesPerOperation?: number;
  maxRequests?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** How long one request may take before it counts as unanswered. */
  timeoutMs?: number;
  /** Where to write every finding as JSON; defaults to test-results/fuzz/<service>.json. */
  reportFile?: string | false;
  /** The command that reruns this run, for failure messages. */
  rerun?: string;
}

export const defaultSeed = 20261122;

/** The seed of this run: `FUZZ_SEED`, else the fixed default. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.FUZZ_SEED;
  if (value === undefined || value === '') {
    return defaultSeed;
  }
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`FUZZ_SEED must be an integer, not ${value}`);
  }
  return seed;
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** An answer the document does not describe for its operation, or a request that got none. */
export interface Finding {
  kase: FuzzCase;
  request: FuzzRequest;
  answer?: Answer;
  /** The catalog name (or wire code) the body carried. */
  code?: string;
  problems: string[];
}

export interface FuzzResult {
  service: string;
  seed: number;
  requests: number;
  undocumented: Finding[];
  /** Requests the document refuses that got a 2xx: not a failure, but worth a look. */
  accepted: Finding[];
  /** Failures of the run itself (preparing a request), not of the target. */
  errors: string[];
  /** How many answers each `operation kind status code` got, to see what the run reached. */
  tally: Record<string, number>;
  /** `task-market fuzz: 2240 requests, 0 undocumented`. */
  line: string;
  /** Every undocumented answer grouped, with up to ~30 examples that reproduce. */
  summary(): string;
}

/** Sends every case to the target and checks every answer against the document. */
export async function runFuzz<Context>(
  target: FuzzTarget<Context>,
  options: FuzzOptions = {},
): Promise<FuzzResult> {
  const origin = new URL(target.origin);
  if (origin.hostname !== '127.0.0.1' || origin.protocol !== 'http:') {
    throw new Error(`fuzz requests go to http://127.0.0.1 only, not ${target.origin}`);
  }
  const seed = options.seed ?? fuzzSeed();
  const fuzzDocument = readFuzzDocument(target.service, target.documentFile);
  const basePath = target.basePath ?? fuzzDocument.basePath;
  const contract = loadDocument(target.service);
  const catalog = loadCatalog(target.catalogFile ?? `openapi/${target.service}/errors.yaml`);
  const variants = target.variants ?? [];
  const cases = generateCases(fuzzDocument, {
    seed,
    casesPerOperation: options.casesPerOperation,
    maxRequests: options.maxRequests,
    variants: (operation) =>
      variants
        .filter((variant) => operation.security[0]?.includes(variant.scheme))
        .map((variant) => variant.name),
  });
  const operations = new Map(fuzzDocument.operations.map((item) => [item.operationId, item]));
  const prepare =
    target.prepare ??
    ((operation: FuzzOperation): Prepared<Context> => ({
      request: contract.validRequest(operation.operationId),
    }));
  const authorize = target.authorize ?? ((request: FuzzRequest) => request);
  const concurrency = options.concurrency ?? 8;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

  const undocumented: Finding[] = [];
  const accepted: Finding[] = [];
  const errors: string[] = [];
  const tally: Record<string, number> = {};
  let requests = 0;
  let next = 0;

  async function runCase(kase: FuzzCase) {
    const operation = operations.get(kase.operationId) as FuzzOperation;
    let prepared: Prepared<Context>;
    try {
      prepared = await prepare(operation);
    } catch (error) {
      errors.push(`case #${kase.id} ${kase.operationId}: prepare failed: ${String(error)}`);
      return;
    }
    try {
      let request = buildRequest(basePath, operation, prepared.request, kase.edit);
      request = authorize(request, prepared, operation);
      request = afterAuth(request, kase.edit, (name) => {
        const variant = variants.find((candidate) => candidate.name === name);
        if (!variant) {
          throw new Error(`no credential variant ${name}`);
        }
        return variant.apply(request, prepared, operation);
      });
      requests++;
      const answer = await send(agent, origin, request, options.timeoutMs ?? 15_000).catch(
        (error: Error & { code?: string }) => error,
      );
      if (answer instanceof Error) {
        undocumented.push({
          kase,
          request,
          problems: [`no answer: ${answer.code ?? answer.message}`],
        });
        return;
      }
      // An odd segment can make the path another operation's (`/tasks/..` is getTask's) or
      // none's: the answer is judged as that one documents it, or as the unknown path it is.
      const judged = isForOperation(basePath, operation, request.path)
        ? operation
        : fuzzDocument.operations.find(
            (other) =>
              other.method === request.method && isForOperation(basePath, other, request.path),
          );
      const { problems, code } = judged
        ? judge(judged, answer, contract, catalog)
        : judgeUnknownPath(answer, catalog);
      const key = `${kase.operationId} ${kase.kind} ${answer.status} ${code ?? '-'}`;
      tally[key] = (tally[key] ?? 0) + 1;
      if (problems.length > 0) {
        undocumented.push({ kase, request, answer, code, problems });
      } else if (kase.invalid && answer.status >= 200 && answer.status < 300) {
        accepted.push({ kase, request, answer, code, problems: ['accepted'] });
      }
    } finally {
      await prepared.release?.().catch((error) => {
        errors.push(`case #${kase.id} ${kase.operationId}: release failed: ${String(error)}`);
      });
    }
  }

  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const kase = cases[next++] as FuzzCase;
        await runCase(kase);
      }
    }),
  );
  agent.destroy();

  undocumented.sort((a, b) => a.kase.id - b.kase.id);
  accepted.sort((a, b) => a.kase.id - b.kase.id);
  const rerun = options.rerun ?? `FUZZ_SEED=${seed} npx vitest run`;
  const result: FuzzResult = {
    service: target.service,
    seed,
    requests,
    undocumented,
    accepted,
    errors,
    tally: Object.fromEntries(Object.entries(tally).sort(([a], [b]) => a.localeCompare(b))),
    line: `${target.service} fuzz: ${requests} requests, ${undocumented.length} undocumented`,
    summary: () => summarize(result, rerun),
  };
  const reportFile = options.reportFile ?? `test-results/fuzz/${target.service}.json`;
  if (reportFile) {
    mkdirSync(dirname(reportFile), { recursive: true });
    writeFileSync(reportFile, `${JSON.stringify(report(result), null, 2)}\n`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Building a request

const multipartBoundary = 'fuzz-7d1f0c2a9b';

/**
 * The request of a case before credentials: the valid request with the case's one change. Path
 * parameters and query values are percent-encoded, except what the case sets, sent as written.
 */
export function buildRequest(
  basePath: string,
  operation: FuzzOperation,
  valid: ValidRequest,
  edit: Edit,
): FuzzRequest {
  let path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    edit.type === 'set-path' && edit.name === name
      ? edit.raw
      : percentEncode(String(valid.params.path[name])),
  );
  path = edit.type === 'double-slash' ? `${basePath}/${path}` : `${basePath}${path}`;
  if (edit.type === 'path-suffix') {
    path += edit.raw;
  }
  let query: [string, string | null][] = Object.entries(valid.params.query).flatMap(
    ([name, value]) =>
      (Array.isArray(value) ? value : [value]).map((item): [string, string] => [
        percentEncode(name),
        percentEncode(String(item)),
      ]),
  );
  if (edit.type === 'set-query' || edit.type === 'delete-query') {
    query = query.filter(([name]) => name !== edit.name);
  }
  if (edit.type === 'set-query') {
    query.push([edit.name, edit.value]);
  }
  if (query.length > 0) {
    path += `?${query.map(([name, value]) => (value === null ? name : `${name}=${value}`)).join('&')}`;
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(valid.headers)) {
    headers[name.toLowerCase()] = value;
  }
  if (edit.type === 'set-header' && !edit.afterAuth) {
    setHeader(headers, edit.name, edit.value);
  }

  let contentType: string | null | undefined = valid.contentType;
  let body: Buffer | undefined;
  switch (edit.type) {
    case 'raw-body':
      body = Buffer.from(edit.body);
      contentType = edit.contentType;
      break;
    case 'no-body':
      contentType = edit.contentType;
      break;
    case 'huge-body':
      ({ body, contentType } = hugeBody(valid, edit.bytes));
      break;
    default: {
      let value = valid.body;
      if (edit.type === 'set-field' || edit.type === 'delete-field') {
        value = { ...(value as Record<string, unknown>) };
        if (edit.type === 'delete-field') {
          delete (value as Record<string, unknown>)[edit.field];
        } else {
          // An own property even for `__proto__`, so it reaches the wire.
          Object.defineProperty(value, edit.field, {
            value: edit.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
      }
      if (value !== undefined) {
        ({ body, contentType } = encodeBody(value, valid));
      }
      if (edit.type === 'content-type') {
        contentType = edit.value;
      }
    }
  }
  if (contentType && (body !== undefined || edit.type === 'no-body')) {
    headers['content-type'] = contentType;
  } else {
    delete headers['content-type'];
  }
  return { method: operation.method, path, headers, body };
}

function encodeBody(
  value: unknown,
  valid: ValidRequest,
): { body: Buffer; contentType: string | undefined } {
  const type = valid.contentType ?? 'application/json';
  if (type.includes('json')) {
    return { body: Buffer.from(JSON.stringify(value)), contentType: type };
  }
  if (type.startsWith('multipart/form-data')) {
    return {
      body: multipart(value as Record<string, unknown>, valid.fileFields ?? []),
      contentType: `multipart/form-data; boundary=${multipartBoundary}`,
    };
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields = Object.entries(value as Record<string, unknown>).map(
      ([name, item]) => `${percentEncode(name)}=${percentEncode(text(item))}`,
    );
    return { body: Buffer.from(fields.join('&')), contentType: type };
  }
  return { body: Buffer.from(text(value)), contentType: type };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function multipart(fields: Record<string, unknown>, fileFields: string[]): Buffer {
  const parts = Object.entries(fields).map(([name, value]) => {
    const file = fileFields.includes(name);
    const disposition = `form-data; name="${name}"${file ? `; filename="${name}.bin"` : ''}`;
    const type = file ? 'Content-Type: application/octet-stream\r\n' : '';
    return `--${multipartBoundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n${text(value)}\r\n`;
  });
  return Buffer.from(`${parts.join('')}--${multipartBoundary}--\r\n`);
}

/** The valid body with its first string field padded to `bytes`; a padding body without one. */
function hugeBody(valid: ValidRequest, bytes: number) {
  const padding = 'x'.repeat(bytes);
  if (valid.body === undefined) {
    return {
      body: Buffer.from(JSON.stringify({ padding })),
      contentType: 'application/json' as string | undefined,
    };
  }
  if (typeof valid.body === 'string') {
    return encodeBody(`${valid.body}\n${padding}`, valid);
  }
  const fields = { ...(valid.body as Record<string, unknown>) };
  const field = Object.keys(fields).find((name) => typeof fields[name] === 'string') ?? 'padding';
  fields[field] = padding;
  return encodeBody(fields, valid);
}

function setHeader(headers: Record<string, string>, name: string, value: string | null) {
  if (value === null) {
    delete headers[name];
  } else {
    headers[name] = value;
  }
}

/** The changes a case makes to credentials, after the target authorized the request. */
export function afterAuth(
  request: FuzzRequest,
  edit: Edit,
  variant: (name: string) => FuzzRequest,
): FuzzRequest {
  if (edit.type === 'set-header' && edit.afterAuth) {
    const headers = { ...request.headers };
    setHeader(headers, edit.name, edit.value);
    return { ...request, headers };
  }
  if (edit.type === 'variant') {
    return variant(edit.name);
  }
  return request;
}

// ---------------------------------------------------------------------------------------------
// Sending and judging

function send(
  agent: http.Agent,
  origin: URL,
  request: FuzzRequest,
  timeoutMs: number,
): Promise<Answer> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) {
    headers['content-length'] = String(request.body.length);
  } else if (['POST', 'PUT', 'PATCH'].includes(request.method)) {
    headers['content-length'] = '0';
  }
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        agent,
        host: origin.hostname,
        port: origin.port,
        method: request.method,
        path: request.path,
        headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    outgoing.setTimeout(timeoutMs, () =>
      outgoing.destroy(new Error(`no answer in ${timeoutMs} ms`)),
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** What is undocumented about an answer; empty when the operation documents it as it is. */
export function judge(
  operation: FuzzOperation,
  answer: Answer,
  contract: ContractDocument,
  catalog: ReturnType<typeof loadCatalog>,
): { problems: string[]; code?: string } {
  const problems: string[] = [];
  if (answer.status >= 500) {
    problems.push(`a ${answer.status}`);
  }
  const documented = documentedResponse(operation, answer.status);
  if (documented === undefined) {
    problems.push(`status ${answer.status} is not documented`);
    return { problems };
  }
  const type = answer.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  let body: unknown = answer.text;
  if (type.includes('json')) {
    try {
      body = JSON.parse(answer.text);
    } catch {
      problems.push(`the ${type} body is not JSON`);
      return { problems };
    }
  }
  if (documented.length === 0) {
    if (answer.text !== '') {
      problems.push(`a body where ${answer.status} documents none`);
    }
    return { problems };
  }
  if (!documented.includes(type)) {
    problems.push(`content type ${type || '(none)'} is not documented for ${answer.status}`);
    return { problems };
  }
  problems.push(
    ...contract
      .validate(operation.operationId, answer.status, type, body)
      .map((problem) => `schema: ${problem}`),
  );
  const identified = identifyError(catalog, body);
  let code: string | undefined;
  if (identified) {
    code = identified.entry.name;
    if (!operation.errors.includes(code)) {
      problems.push(`code ${code} is not in x-errors`);
    }
    if (identified.entry.surface === 'http' && identified.entry.status !== answer.status) {
      problems.push(`code ${code} is documented under ${identified.entry.status}`);
    }
  } else if (body && typeof body === 'object' && 'code' in body) {
    code = String((body as { code: unknown }).code);
  }
  return { problems, code };
}

/**
 * Whether a request's path is one of the operation's: its segments those of the template, each
 * parameter a non-empty segment. An odd segment can make it another path (`/tasks//claim`,
 * `/tasks/x/..`, a trailing slash), which no operation documents.
 */
export function isForOperation(basePath: string, operation: FuzzOperation, path: string): boolean {
  const segments = (path.split('?')[0] ?? '').split('/');
  const template = `${basePath}${operation.path}`.split('/');
  return (
    segments.length === template.length &&
    template.every((part, index) =>
      /^\{.+\}$/.test(part) ? segments[index] !== '' : segments[index] === part,
    )
  );
}

/**
 * What is wrong with the answer to a path no operation has: it must be the catalog's `unknownPath`
 * answer, as the catalog documents that code.
 */
export function judgeUnknownPath(
  answer: Answer,
  catalog: ReturnType<typeof loadCatalog>,
): { problems: string[]; code?: string } {
  const expected = roleCode(catalog.platform.unknownPath);
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return { problems: [`an unknown path answered ${answer.status} without a JSON body`] };
  }
  const identified = identifyError(catalog, body);
  const code = identified?.entry.name;
  const problems =
    code === expected &&
    identified?.entry.status === answer.status &&
    answer.contentType.startsWith(catalog.wire.contentType)
      ? []
      : [`an unknown path answered ${answer.status} ${code ?? '-'}, not ${expected}`];
  return { problems, ...(code && { code }) };
}

/** The content types documented for a status (by code, range `4XX` or `default`). */
function documentedResponse(operation: FuzzOperation, status: number): string[] | undefined {
  return (
    operation.responses[String(status)] ??
    operation.responses[`${String(status)[0]}XX`] ??
    operation.responses.default
  );
}

// ---------------------------------------------------------------------------------------------
// Reporting

function groupKey(finding: Finding): string {
  const status = finding.answer?.status ?? 'no answer';
  return `${finding.kase.operationId} · ${finding.kase.kind} · ${status} ${finding.code ?? '-'}`;
}

function summarize(result: FuzzResult, rerun: string): string {
  const groups = new Map<string, Finding[]>();
  for (const finding of result.undocumented) {
    const key = groupKey(finding);
    groups.set(key, [...(groups.get(key) ?? []), finding]);
  }
  const lines = [
    `${result.line}, seed ${result.seed}, in ${groups.size} groups (operation · kind of input · status code)`,
    `reproduce: ${rerun}`,
    ...result.errors.map((error) => `run error: ${error}`),
  ];
  // One example per group first, then more of each, up to ~30 examples.
  const budget = 30;
  const perGroup = Math.max(1, Math.floor(budget / Math.max(1, groups.size)));
  let shown = 0;
  const largestFirst = [...groups].sort(
    ([a, x], [b, y]) => y.length - x.length || a.localeCompare(b),
  );
  for (const [key, findings] of largestFirst) {
    const problems = [...new Set(findings.flatMap((finding) => finding.problems))];
    lines.push('', `[${key}] ×${findings.length}: ${problems.slice(0, 3).join('; ')}`);
    for (const finding of findings.slice(0, shown < budget ? perGroup : 0)) {
      lines.push(...example(finding).map((line) => `  ${line}`));
      shown++;
    }
  }
  return lines.join('\n');
}

/** One finding, enough to send the same request again. */
export function example(finding: Finding): string[] {
  const { kase, request, answer } = finding;
  const lines = [
    `#${kase.id} ${kase.operationId} ${kase.kind} at ${kase.where}: ${kase.detail}`,
    `${request.method} ${truncate(request.path, 300)}`,
    `headers: ${JSON.stringify(Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, truncate(value, 120)])))}`,
    `body: ${request.body === undefined ? '(none)' : `${truncate(JSON.stringify(request.body.subarray(0, 400).toString('utf8')), 200)} (${request.body.length} bytes)`}`,
  ];
  if (answer) {
    lines.push(`→ ${answer.status} ${answer.contentType} ${truncate(answer.text, 300)}`);
  }
  lines.push(`problems: ${finding.problems.join('; ')}`);
  return lines;
}

function truncate(value: string, length: number): string {
  return value.length > length ? `${value.slice(0, length)}…(${value.length} chars)` : value;
}

function report(result: FuzzResult) {
  const entry = (finding: Finding) => ({
    case: finding.kase,
    request: {
      method: finding.request.method,
      path: truncate(finding.request.path, 2000),
      headers: finding.request.headers,
      body:
        finding.request.body === undefined
          ? undefined
          : truncate(finding.request.body.subarray(0, 2000).toString('utf8'), 1000),
      bodyBytes: finding.request.body?.length,
    },
    answer: finding.answer && { ...finding.answer, text: truncate(finding.answer.text, 2000) },
    code: finding.code,
    problems: finding.problems,
  });
  return {
    service: result.service,
    seed: result.seed,
    requests: result.requests,
    undocumented: result.undocumented.map(entry),
    accepted: result.accepted.map(entry),
    errors: result.errors,
    tally: result.tally,
  };
}

export type { FuzzDocument, SecurityScheme };
