import { ApiError, isApiError } from './api-error.ts';
import { isDatabaseUnavailable } from './db.ts';

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

/** The catalog codes a service answers with for what the platform itself detects. */
export interface PlatformCodes<Name extends string> {
  /** Builds the error for request validation failures, with the service's own details. */
  invalid(issues: ValidationIssue[]): ApiError<Name>;
  malformedJson: Name;
  unsupportedMediaType: Name;
  payloadTooLarge: Name;
  notFound: Name;
  unavailable: Name;
  databaseUnavailable: Name;
  internal: Name;
}

interface ValidatorError {
  status: number;
  errors?: { path: string; message: string; errorCode?: string }[];
}

/** What the error mapping needs to know of the request. */
export interface FailedRequest {
  method: string;
  path: string;
  /** Whether the request carried a body at all (a non-empty one). */
  hasBody: boolean;
}

/** The issue of a request that omits the body its operation requires. */
const missingBody: ValidationIssue = {
  location: 'body',
  field: '',
  message: 'request body is required',
  keyword: 'required',
};

/** Turns anything a request can fail with into one of the service's catalog codes. */
export function toApiError<Name extends string>(
  error: unknown,
  codes: PlatformCodes<Name>,
  request: FailedRequest,
): ApiError<Name> {
  if (isApiError(error)) {
    return error as ApiError<Name>;
  }
  const parserType = (error as { type?: unknown })?.type;
  if (parserType === 'entity.parse.failed') {
    return new ApiError(
      codes.malformedJson,
      { reason: (error as Error).message },
      { cause: error },
    );
  }
  if (parserType === 'entity.too.large') {
    const limit = (error as { limit?: number }).limit;
    return new ApiError(codes.payloadTooLarge, {
      field: 'body',
      reason: `larger than ${limit} bytes`,
    });
  }
  if (parserType === 'charset.unsupported' || parserType === 'encoding.unsupported') {
    return new ApiError(codes.unsupportedMediaType, {
      field: 'Content-Type',
      reason: (error as Error).message,
    });
  }
  if (isValidatorError(error)) {
    // Without a body, the validator sees no content type (415) or an empty one (400): either
    // way the body the operation requires is missing.
    if (!request.hasBody && (error.status === 415 || error.status === 400)) {
      const issues = validationIssues(error);
      if (error.status === 415 || issues.every((issue) => issue.location === 'body')) {
        return codes.invalid([missingBody]);
      }
    }
    switch (error.status) {
      case 400:
        return codes.invalid(validationIssues(error));
      case 404:
      case 405:
        return new ApiError(codes.notFound, { method: request.method, path: request.path });
      case 413:
        return new ApiError(codes.payloadTooLarge, {
          field: 'body',
          reason: 'request body too large',
        });
      case 415:
        return new ApiError(codes.unsupportedMediaType, {
          field: 'Content-Type',
          reason: (error as unknown as Error).message,
        });
    }
  }
  if (isDatabaseUnavailable(error)) {
    return new ApiError(codes.databaseUnavailable, undefined, { cause: error });
  }
  return new ApiError(codes.internal, undefined, { cause: error });
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
    const [, location = 'body', ...rest] = path.split('/');
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
