import { describe, expect, it } from 'vitest';
import type { PlatformBlock } from '../../src/catalog/types.d.ts';
import type { PlatformFailure } from '../../src/platform/failures.ts';
import { roleAnswer } from '../../src/platform/roles.ts';

const validation422 = {
  status: 422,
  schema: 'HTTPValidationError',
  reason: 'FastAPI',
  example: {},
};

/** A block with a code per keyword, a stand-in code and a body that is no code. */
const platform: PlatformBlock = {
  validation: { default: 'INVALID_VALUE', required: 'MISSING_PARAMETER', type: validation422 },
  malformedJson: 'INVALID_JSON',
  mediaType: 'INVALID_FORMAT',
  bodyTooLarge: 'INVALID_VALUE',
  unknownPath: { code: 'INVALID_VALUE', reason: 'no not-found code' },
  draining: 'SERVICE_UNAVAILABLE',
  databaseDown: 'DATABASE_UNAVAILABLE',
  internal: 'INTERNAL_ERROR',
};

const issue = (keyword: string) => ({ location: 'body', field: 'x', message: 'm', keyword });

describe('roleAnswer', () => {
  it.each<[string, PlatformFailure, unknown]>([
    [
      'a keyword it names',
      { role: 'validation', issues: [issue('required')] },
      { code: 'MISSING_PARAMETER' },
    ],
    [
      'any other keyword',
      { role: 'validation', issues: [issue('maximum')] },
      { code: 'INVALID_VALUE' },
    ],
    [
      'a keyword answered with a body',
      { role: 'validation', issues: [issue('type')] },
      validation422,
    ],
    ['a role with its own code', { role: 'draining' }, { code: 'SERVICE_UNAVAILABLE' }],
    [
      'a role with a stand-in code',
      { role: 'unknownPath', method: 'GET', path: '/x' },
      { code: 'INVALID_VALUE' },
    ],
  ])('answers %s as the catalog says', (_what, failure, answer) => {
    expect(roleAnswer(platform, failure)).toEqual(answer);
  });
});
