import type { ValidationIssue } from './failures.ts';

/** One problem of a request as FastAPI reports it: where (`["body", "nickname"]`), what, its kind. */
export interface FastApiProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Pydantic's kind of problem for the JSON Schema keyword that failed; `value_error` otherwise. */
const problemTypes: Record<string, string> = {
  required: 'missing',
  additionalProperties: 'extra_forbidden',
  enum: 'enum',
  const: 'literal_error',
  minLength: 'string_too_short',
  maxLength: 'string_too_long',
  pattern: 'string_pattern_mismatch',
  minimum: 'greater_than_equal',
  exclusiveMinimum: 'greater_than',
  maximum: 'less_than_equal',
  exclusiveMaximum: 'less_than',
  minItems: 'too_short',
  maxItems: 'too_long',
  type: 'type_error',
};

/**
 * The validation problems of a request in FastAPI's shape, for the services that were FastAPI
 * apps (divination's `errors`, podi's `detail`): the location, then the field's path, numbers
 * for array indexes.
 */
export function fastApiProblems(issues: ValidationIssue[]): FastApiProblem[] {
  return issues.map((issue) => ({
    loc: [
      issue.location === 'headers' ? 'header' : issue.location,
      ...issue.field
        .split('/')
        .filter(Boolean)
        .map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
    ],
    msg: issue.message,
    type: problemTypes[issue.keyword] ?? 'value_error',
  }));
}

/** FastAPI's problem for a body that is not JSON, at the offset the parser stopped. */
export function jsonDecodeProblem(reason: string): FastApiProblem {
  const offset = Number(/position (\d+)/.exec(reason)?.[1] ?? 0);
  return { loc: ['body', offset], msg: 'JSON decode error', type: 'json_invalid' };
}
