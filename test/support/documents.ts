import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** One documented (operation, error code) pair. */
export interface Pair {
  operationId: string;
  method: string;
  path: string;
  code: string;
}

/** A request an operation accepts, built from its document: parameters, credentials, body. */
export interface ValidRequest {
  method: string;
  path: string;
  params: { path: Record<string, unknown>; query: Record<string, unknown> };
  headers: Record<string, string>;
  body?: unknown;
  contentType?: string;
  /** For multipart bodies, the fields that are files. */
  fileFields?: string[];
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
  schema?: Schema;
}

/** A JSON Schema, with the keywords the tests read. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  example?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
  contentMediaType?: string;
}

interface SecurityScheme {
  type: string;
  scheme?: string;
  in?: string;
  name?: string;
}

/** One operation, with what a request to it needs and what it may answer. */
export interface DocumentOperation {
  operationId: string;
  /** Upper case: `POST`. */
  method: string;
  /** The template under the base path: `/tasks/{taskId}/claim`. */
  path: string;
  parameters: Parameter[];
  /** The scheme names of its first security requirement; empty when it is public. */
  security: string[];
  /** Its first request content type, with that content's schema resolved. */
  requestBody?: { contentType: string; schema: Schema };
  /** Each documented status, with its content types (none for an empty answer). */
  responses: Record<string, string[]>;
  /** The catalog names its `x-errors` lists. */
  errors: string[];
}

interface Media {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface OperationEntry {
  method: string;
  path: string;
  operation: Operation;
  parameters: Parameter[];
}
interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, Media> };
  'x-errors'?: string[];
  responses: Record<string, { content?: Record<string, Media> }>;
}

/** A generated document with what contract tests need from it. */
export interface ContractDocument {
  service: string;
  basePath: string;
  pairs: Pair[];
  operations: DocumentOperation[];
  schemes: Record<string, SecurityScheme>;
  /** A schema with its `$ref` followed and its `allOf` parts merged into it. */
  schema(schema: Schema | undefined): Schema;
  /** Checks a body against the schema documented for that status and content type. */
  validate(operationId: string, status: number, contentType: string, body: unknown): string[];
  /** A request the operation accepts, with the values its document shows. */
  validRequest(operationId: string): ValidRequest;
  /** The value of a named example of an operation's response. */
  example(
    operationId: string,
    name: string,
  ): { status: number; contentType: string; value: unknown };
}

export function loadDocument(service: string): ContractDocument {
  const document = parse(readFileSync(`generated/${service}/openapi.yaml`, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...document, $id: 'doc' });
  const resolve = <T>(value: T | { $ref: string }): T =>
    value && typeof value === 'object' && '$ref' in value
      ? (value.$ref
          .slice(2)
          .split('/')
          .reduce((node, key) => node[key], document) as T)
      : (value as T);

  const operations = new Map<string, OperationEntry>();
  for (const [path, item] of Object.entries<Record<string, unknown>>(document.paths)) {
    for (const method of methods) {
      const operation = item[method] as Operation | undefined;
      if (operation) {
        const parameters = [
          ...((item.parameters as Operation['parameters']) ?? []),
          ...(operation.parameters ?? []),
        ].map((parameter) => resolve<Parameter>(parameter));
        operations.set(operation.operationId, { method, path, operation, parameters });
      }
    }
  }
  const find = (operationId: string) => {
    const found = operations.get(operationId);
    if (!found) {
      throw new Error(`${service} documents no operation ${operationId}`);
    }
    return found;
  };

  const schemes = Object.fromEntries(
    Object.entries<SecurityScheme>(document.components?.securitySchemes ?? {}).map(
      ([name, scheme]) => [name, resolve(scheme)],
    ),
  );
  const schema = (value: Schema = {}): Schema => {
    const { allOf, ...rest } = resolve(value);
    return allOf ? Object.assign({}, ...allOf.map(schema), rest) : rest;
  };

  return {
    service,
    basePath: document.servers[0].url,
    operations: [...operations.values()].map((entry) =>
      documentOperation(entry, document.security, schema),
    ),
    schemes,
    schema,
    pairs: [...operations.values()].flatMap(({ method, path, operation }) =>
      (operation['x-errors'] ?? []).map((code) => ({
        operationId: operation.operationId,
        method,
        path,
        code,
      })),
    ),

    validate(operationId, status, contentType, body) {
      const { path, method, operation } = find(operationId);
      const type = contentType.split(';')[0]?.trim() ?? '';
      if (!operation.responses[String(status)]?.content?.[type]) {
        return [`${operationId} documents no ${status} ${type} response`];
      }
      const pointer = [
        'paths',
        path,
        method,
        'responses',
        String(status),
        'content',
        type,
        'schema',
      ]
        .map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1'))
        .join('/');
      const check = ajv.getSchema(`doc#/${pointer}`);
      if (!check) {
        return [`no schema at ${pointer}`];
      }
      return check(body)
        ? []
        : (check.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
    },

    validRequest(operationId) {
      const { method, path, operation, parameters } = find(operationId);
      const params = { path: {} as Record<string, unknown>, query: {} as Record<string, unknown> };
      const headers: Record<string, string> = {};
      for (const parameter of parameters) {
        if (parameter.in === 'path' || parameter.required) {
          const value = parameter.example ?? sample(parameter.schema);
          if (parameter.in === 'header') {
            headers[parameter.name] = String(value);
          } else if (parameter.in === 'path' || parameter.in === 'query') {
            params[parameter.in][parameter.name] = value;
          }
        }
      }
      const [requirement = {}] = operation.security ?? document.security ?? [];
      for (const name of Object.keys(requirement)) {
        const scheme = schemes[name] as SecurityScheme;
        if (scheme.type === 'http') {
          headers.authorization = `${scheme.scheme === 'basic' ? 'Basic' : 'Bearer'} mock-credentials`;
        } else if (scheme.type === 'apiKey' && scheme.in === 'header' && scheme.name) {
          headers[scheme.name] = 'mock-credentials';
        } else if (scheme.type === 'apiKey' && scheme.in === 'query' && scheme.name) {
          params.query[scheme.name] = 'mock-credentials';
        }
      }
      const content = operation.requestBody?.content ?? {};
      const [contentType] = Object.keys(content);
      if (contentType === undefined) {
        return { method, path, params, headers };
      }
      const media = content[contentType] as Media;
      const body = media.example ?? Object.values(media.examples ?? {})[0]?.value;
      if (body === undefined) {
        throw new Error(`${operationId} has no request example for ${contentType}`);
      }
      const properties = (media.schema ? resolve(media.schema) : {}).properties ?? {};
      const fileFields = Object.keys(properties).filter(
        (name) => properties[name]?.contentMediaType || properties[name]?.format === 'binary',
      );
      return { method, path, params, headers, body, contentType, fileFields };
    },

    example(operationId, name) {
      const { operation } = find(operationId);
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [contentType, media] of Object.entries(response.content ?? {})) {
          const example = media.examples?.[name];
          if (example) {
            return { status: Number(status), contentType, value: example.value };
          }
        }
      }
      throw new Error(`${operationId} documents no example ${name}`);
    },
  };
}

/** An operation as the fuzz run reads it: its first security requirement and content type. */
function documentOperation(
  { method, path, operation, parameters }: OperationEntry,
  defaultSecurity: Operation['security'],
  schema: (value: Schema | undefined) => Schema,
): DocumentOperation {
  const [requirement = {}] = operation.security ?? defaultSecurity ?? [];
  const [contentType, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
  const responses = Object.entries(operation.responses).map(([status, response]) => [
    status,
    Object.keys(response.content ?? {}),
  ]);
  return {
    operationId: operation.operationId,
    method: method.toUpperCase(),
    path,
    parameters,
    security: Object.keys(requirement),
    requestBody: contentType ? { contentType, schema: schema(media?.schema) } : undefined,
    responses: Object.fromEntries(responses),
    errors: operation['x-errors'] ?? [],
  };
}

/** A value a schema accepts, for parameters that show no example. */
function sample(schema: Schema = {}): unknown {
  if (schema.example !== undefined) {
    return schema.example;
  }
  if (schema.enum?.length) {
    return schema.enum[0];
  }
  if (schema.format === 'uuid') {
    return '660e8400-e29b-41d4-a716-446655440002';
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  return type === 'integer' || type === 'number' ? 1 : type === 'boolean' ? true : 'sample';
}
