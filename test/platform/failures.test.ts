import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/platform/api-error.ts';
import { classifyFailure, PlatformError } from '../../src/platform/failures.ts';

const request = { method: 'POST', path: '/fixture/items', hasBody: true };

/** An error as express-openapi-validator throws it. */
function validatorError(
  status: number,
  errors: { path: string; message: string; errorCode?: string }[],
) {
  return Object.assign(new Error('validation'), { status, errors });
}

/** An error as body-parser throws it. */
function parserError(type: string, extra: object = {}) {
  return Object.assign(new Error(type), { type, ...extra });
}

describe('classifyFailure', () => {
  it.each([
    ['malformed JSON', parserError('entity.parse.failed'), 'malformedJson'],
    ['a body over the limit', parserError('entity.too.large', { limit: 10 }), 'bodyTooLarge'],
    ['an unsupported charset', parserError('charset.unsupported'), 'mediaType'],
    [
      'a body not in the encoding it claims',
      Object.assign(new Error('incorrect header check'), { status: 400, expose: true }),
      'malformedJson',
    ],
    ['a path that does not decode', new URIError("Failed to decode param '%zz'"), 'validation'],
    ['a schema failure', validatorError(400, [{ path: '/body/name', message: 'm' }]), 'validation'],
    ['an unknown method', validatorError(405, []), 'unknownPath'],
    ['an unsupported media type', validatorError(415, []), 'mediaType'],
    ['an answer off the document', validatorError(500, []), 'internal'],
    ['a closed database', new Error('The database connection is not open'), 'databaseDown'],
    ['anything else', new TypeError('x is undefined'), 'internal'],
    ['a platform step', new PlatformError({ role: 'draining' }), 'draining'],
  ])('reads %s as the %s role', (_what, error, role) => {
    expect(classifyFailure(error, request)).toMatchObject({ role });
  });

  it("keeps a handler's ApiError as it is", () => {
    const error = new ApiError('ITEM_BUSY');
    expect(classifyFailure(error, request)).toBe(error);
  });

  it('reads a schema failure by its keyword and field', () => {
    const error = validatorError(400, [
      { path: '/body/count', message: 'must be <= 10', errorCode: 'maximum.openapi.validation' },
    ]);
    expect(classifyFailure(error, request)).toEqual({
      role: 'validation',
      issues: [{ location: 'body', field: 'count', message: 'must be <= 10', keyword: 'maximum' }],
    });
  });

  it('reads a missing body as a required one, whatever the validator said', () => {
    const failure = classifyFailure(validatorError(415, []), { ...request, hasBody: false });
    expect(failure).toMatchObject({ role: 'validation', issues: [{ keyword: 'required' }] });
  });
});
