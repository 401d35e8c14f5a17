import { catalog, type ErrorName } from '../../generated/task-market/errors.ts';
import { ApiError } from '../platform/api-error.ts';
import type { PlatformCodes, ValidationIssue } from '../platform/errors.ts';

export type { ErrorName };
export { catalog };

/** A task-market answer with a catalog code: `throw new TaskMarketError('TASK_NOT_FOUND', …)`. */
export class TaskMarketError extends ApiError<ErrorName> {}

/** Which 400xx code a failed JSON Schema keyword becomes. */
const codeOfKeyword: Record<string, ErrorName> = {
  required: 'MISSING_PARAMETER',
  type: 'INVALID_FORMAT',
  format: 'INVALID_FORMAT',
  pattern: 'INVALID_FORMAT',
  additionalProperties: 'INVALID_PARAMETER',
};

/** The codes the platform answers with for task-market. */
export const platformCodes: PlatformCodes<ErrorName> = {
  invalid(issues: ValidationIssue[]) {
    const [first] = issues;
    const code = first ? (codeOfKeyword[first.keyword] ?? 'INVALID_VALUE') : 'INVALID_PARAMETER';
    return new TaskMarketError(code, {
      field: first?.field || first?.location || 'request',
      reason: first?.message ?? 'invalid request',
    });
  },
  malformedJson: 'INVALID_JSON',
  unsupportedMediaType: 'INVALID_FORMAT',
  payloadTooLarge: 'INVALID_VALUE',
  notFound: catalog.unknownPath,
  unavailable: 'SERVICE_UNAVAILABLE',
  databaseUnavailable: 'DATABASE_UNAVAILABLE',
  internal: 'INTERNAL_ERROR',
};
