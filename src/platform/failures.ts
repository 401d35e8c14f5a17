import { type ApiError, isApiError } from './api-error.ts';
import { isDatabaseUnavailable } from './database-errors.ts';

/** A request validation failure, one per broken rule. */
export interface ValidationIssue {
  /** Where the value was: `body`, `query`, `path` or `headers`. */
  location: string;
  /** The field's path inside it (`title`, `items/0/name`); empty for the whole body. */
  field: string;
  message: string;
  /** The JSON Schema keyword that failed: `required`, `type`, `enum`, `additionalProperties`… */
  keyword: string;
}

/**
 * What the platform detects itself, by role. Each catalog's `platform` block names the answer to
 * each role; each service turns the facts here into that answer's details.
 */
export type PlatformFailure =
  | { role: 'validation'; issues: ValidationIssue[] }
  | { role: 'malformedJson'; reason: string }
  | { role: 'mediaType'; reason: string }
  | { role: 'bodyTooLarge'; reason: string }
  | { role: 'unknownPath'; method: string; path: string }
  | { role: 'draining' }
  | { role: 'databaseDown' }
  | { role: 'internal' };

/** Thrown by the platform's own steps (draining, unknown path, uploads) to answer with a role. */
export class PlatformError extends Error {
  override name = 'PlatformError';

  constructor(
    readonly failure: PlatformFailure,
    options?: { cause?: unknown },
  ) {
    super(failure.role, options);
  }
}

/** What the error mapping needs to know of the request. */
export interface FailedRequest {
  method: string;
  path: string;
  /** Whether the request carried a body at all (a non-empty one). */
  hasBody: boolean;
}

interface ValidatorError {
  status: number;
  errors?: { path: string; message: string; errorCode?: string }[];
}

/** The issue of a request that omits the body its operation requires. */
const missingBody: ValidationIssue = {
  location: 'body',
  field: '',
  message: 'request body is required',
  keyword: 'required',
};

/**
 * What went wrong, for anything a request can fail with: a handler's ApiError as it is, else the
 * platform failure it amounts to (an unexpected error is `internal`).
 */
export function classifyFailure(
  error: unknown,
  request: FailedRequest,
): ApiError | PlatformFailure {
  if (isApiError(error)) {
    return error;
  }
  if (error instanceof PlatformError) {
    return error.failure;
  }
  const parserType = (error as { type?: unknown })?.type;
  if (parserType === 'entity.parse.failed') {
    return { role: 'malformedJson', reason: (error as Error).message };
  }
  if (parserType === 'entity.too.large') {
    return {
      role: 'bodyTooLarge',
      reason: `larger than ${(error as { limit?: number }).limit} bytes`,
    };
  }
  if (parserType === 'charset.unsupported' || parserType === 'encoding.unsupported') {
    return { role: 'mediaType', reason: (error as Error).message };
  }
  if (error instanceof URIError) {
    // The router could not percent-decode a path parameter (`/tasks/%zz`).
    const issue = { location: 'path', field: '', message: error.message, keyword: 'format' };
    return { role: 'validation', issues: [issue] };
  }
  if (isClientBodyError(error)) {
    // A body the parser could not read: cut short, or not in the encoding it claims.
    return { role: 'malformedJson', reason: error.message };
  }
  if (isValidatorError(error)) {
    return validatorFailure(error, request);
  }
  if (isDatabaseUnavailable(error)) {
    return { role: 'databaseDown' };
  }
  return { role: 'internal' };
}

function validatorFailure(error: ValidatorError, request: FailedRequest): PlatformFailure {
  const issues = validationIssues(error);
  // Without a body, the validator sees no content type (415) or an empty one (400): either way
  // the body the operation requires is missing.
  if (
    !request.hasBody &&
    (error.status === 415 ||
      (error.status === 400 && issues.every((issue) => issue.location === 'body')))
  ) {
    return { role: 'validation', issues: [missingBody] };
  }
  switch (error.status) {
    case 404:
    case 405:
      return { role: 'unknownPath', method: request.method, path: request.path };
    case 413:
      return { role: 'bodyTooLarge', reason: 'request body too large' };
    case 415:
      return { role: 'mediaType', reason: (error as unknown as Error).message };
    case 400:
      return { role: 'validation', issues };
    default:
      // A 500: the handler's answer broke the document (response validation).
      return { role: 'internal' };
  }
}

/** A body parser's own 4xx (http-errors): anything it could not read that is the client's fault. */
function isClientBodyError(error: unknown): error is Error {
  const status = (error as { status?: unknown })?.status;
  return (
    error instanceof Error &&
    typeof status === 'number' &&
    status < 500 &&
    (error as { expose?: unknown }).expose === true &&
    !('errors' in error)
  );
}

function isValidatorError(error: unknown): error is ValidatorError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ValidatorError>).status === 'number' &&
    'errors' in error
  );
}

function validationIssues(error: ValidatorError): ValidationIssue[] {
  return (error.errors ?? []).map(({ path, message, errorCode }) => {
    const [, at = 'body', ...rest] = path.split('/');
    // The validator says `params` for the path's parameters.
    const location = at === 'params' ? 'path' : at;
    return { location, field: rest.join('/'), message, keyword: keywordOf(errorCode, message) };
  });
}

/** The JSON Schema keyword of a validator error; its query checks carry none, only a message. */
function keywordOf(errorCode: string | undefined, message: string): string {
  if (errorCode) {
    return errorCode.replace(/\.openapi\.(validation|requestValidation)$/, '');
  }
  return message.startsWith('Unknown query parameter') ? 'additionalProperties' : 'invalid';
}
