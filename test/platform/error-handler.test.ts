import { describe, expect, it } from 'vitest';
import { catalog } from '../../generated/task-market/errors.ts';
import type { Catalog } from '../../src/catalog/types.d.ts';
import { type FailureAnswers, failureAnswerer } from '../../src/platform/error-handler.ts';
import { PlatformError } from '../../src/platform/failures.ts';
import { type ErrorName, failureAnswers } from '../../src/task-market/errors.ts';

const taskMarket = catalog as unknown as Catalog;
const request = { method: 'GET', path: '/task-market/nowhere', hasBody: false };

describe('failureAnswerer', () => {
  it('answers a platform failure with the code and details the catalog gives its role', () => {
    const answer = failureAnswerer(taskMarket, failureAnswers);
    const unknown = new PlatformError({ role: 'unknownPath', method: 'GET', path: request.path });
    const answered = answer(unknown, request, 'req_1');
    expect(answered).toMatchObject({ status: 404, code: 'RESOURCE_NOT_FOUND' });
    expect(JSON.parse(answered.body).details).toEqual({ method: 'GET', path: request.path });
  });

  /** task-market's own details, but for an unknown path `path`'s. */
  const unknownPathDetails =
    (path: object): FailureAnswers<ErrorName>['details'] =>
    (failure, code) =>
      failure.role === 'unknownPath' ? path : failureAnswers.details(failure, code);

  it.each([
    ['a key the code does not document', { method: 'GET', path: '/', verb: 'GET' }, 'sends verb'],
    ['without a key the code requires', { method: 'GET' }, 'lacks path'],
  ])('refuses at start-up details %s', (_what, details, problem) => {
    expect(() => failureAnswerer(taskMarket, { details: unknownPathDetails(details) })).toThrow(
      `the details of RESOURCE_NOT_FOUND for unknownPath ${problem}`,
    );
  });

  it('answers a failure while answering as an internal error, logged, not as an HTML page', () => {
    const details: FailureAnswers<ErrorName>['details'] = (failure, code) => {
      if (failure.role === 'unknownPath' && failure.path === '/task-market/boom') {
        throw new TypeError('a hook that fails');
      }
      return failureAnswers.details(failure, code);
    };
    const answer = failureAnswerer(taskMarket, { details });
    const boom = new PlatformError({
      role: 'unknownPath',
      method: 'GET',
      path: '/task-market/boom',
    });
    const answered = answer(boom, { ...request, path: '/task-market/boom' }, 'req_2');
    expect(answered).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', log: 'error' });
  });
});
