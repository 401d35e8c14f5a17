import type { NextFunction, Request, Response } from 'express';
import { errorBody } from '../catalog/envelopes.js';
import type { BodyAnswer, Catalog, CatalogEntry } from '../catalog/types.d.ts';
import { ApiError, isApiError } from './api-error.ts';
import {
  classifyFailure,
  type FailedRequest,
  PlatformError,
  type PlatformFailure,
} from './failures.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Logger } from './logger.ts';
import { newRequestId } from './request-id.ts';
import { answersWithBodies, faultCodes, roleAnswer } from './roles.ts';

/** How a service turns what the platform detected into its own answers. */
export interface FailureAnswers<Name extends string> {
  /** The details of the code a platform failure is answered with, as the catalog documents them. */
  details(failure: PlatformFailure, code: Name): object | undefined;
  /**
   * The body of a role the catalog answers with a documented schema instead of a code (podi's
   * FastAPI 422); `answer.example` is the body the document shows. Required for such a catalog.
   */
  body?(failure: PlatformFailure, answer: BodyAnswer): unknown;
}

/** A failure as it goes on the wire, and how it is logged. */
export interface FailureAnswer {
  status: number;
  contentType: string;
  /** The body, serialised. */
  body: string;
  /** The catalog code, or the role of a body that is no code. */
  code: string;
  retryAfter?: number;
  log?: 'error' | 'warn';
}

/** Answers any failure of a request to a service: `(error, request, requestId) → answer`. */
export type FailureAnswerer = (
  error: unknown,
  request: FailedRequest,
  requestId: string,
) => FailureAnswer;

/**
 * The answer to any failure, in the service's envelope, as its catalog names it. Logged by role
 * and cause, never by status (an HTTP-200 envelope too): the internal and database roles as
 * errors, a handler's code that carries a cause as a warning.
 */
export function failureAnswerer<Name extends string>(
  catalog: Catalog,
  answers: FailureAnswers<Name>,
): FailureAnswerer {
  const entries = new Map<string, CatalogEntry>(catalog.errors.map((entry) => [entry.name, entry]));
  const faults = faultCodes(catalog.platform);
  if (answersWithBodies(catalog.platform) && !answers.body) {
    throw new Error(`${catalog.service}: its catalog answers a role with a body; none is given`);
  }
  checkFailureDetails(catalog, answers);

  /** The answer of a catalog code; a warning in the log when it carries a cause (an upstream's). */
  function codeAnswer(
    error: ApiError,
    path: string,
    requestId: string,
    fault?: 'error',
  ): FailureAnswer {
    const entry = entries.get(error.code);
    if (!entry) {
      throw new Error(`${catalog.service}: ${error.code} is not in the catalog`);
    }
    const details = error.details as Record<string, unknown> | undefined;
    const body = errorBody(catalog, entry, { details, requestId, instance: path });
    const log = fault ?? (error.cause === undefined ? undefined : ('warn' as const));
    const retryAfter = details?.retry_after;
    return {
      status: entry.status,
      contentType: catalog.wire.contentType,
      body: JSON.stringify(body),
      code: entry.name,
      ...(typeof retryAfter === 'number' && { retryAfter }),
      ...(log && { log }),
    };
  }

  function answer(error: unknown, request: FailedRequest, requestId: string): FailureAnswer {
    const failure = classifyFailure(error, request);
    if (isApiError(failure)) {
      const fault = faults.has(failure.code) ? 'error' : undefined;
      return codeAnswer(failure, request.path, requestId, fault);
    }
    const fault =
      failure.role === 'internal' || failure.role === 'databaseDown' ? 'error' : undefined;
    const answer = roleAnswer(catalog.platform, failure);
    if ('code' in answer) {
      const details = answers.details(failure, answer.code as Name);
      return codeAnswer(new ApiError(answer.code, details), request.path, requestId, fault);
    }
    return {
      status: answer.status,
      contentType: catalog.wire.contentType,
      body: JSON.stringify(answers.body?.(failure, answer)),
      code: failure.role,
      ...(fault && { log: fault }),
    };
  }

  // A failure while answering (a hook that throws) is itself an internal failure, never
  // Express's HTML page.
  return (error, request, requestId) => {
    try {
      return answer(error, request, requestId);
    } catch (failed) {
      const internal = new PlatformError({ role: 'internal' }, { cause: failed });
      return { ...answer(internal, request, requestId), log: 'error' };
    }
  };
}

/** A failure of each role, as the platform reports it, to check a service's details against. */
const sampleFailures: PlatformFailure[] = [
  { role: 'malformedJson', reason: 'Unexpected end of JSON input' },
  { role: 'mediaType', reason: 'unsupported media type text/csv' },
  { role: 'bodyTooLarge', reason: 'larger than 1048576 bytes' },
  { role: 'unknownPath', method: 'GET', path: '/service/nowhere' },
  { role: 'draining' },
  { role: 'databaseDown' },
  { role: 'internal' },
];

/**
 * Fails at start-up when a service's details for a role's code are not the ones the catalog
 * documents for it: a key it does not have, or one it requires that is missing. The role's code
 * comes from catalog data, so the compiler cannot check this.
 */
function checkFailureDetails<Name extends string>(catalog: Catalog, answers: FailureAnswers<Name>) {
  const keywords = Object.keys(catalog.platform.validation);
  const failures: PlatformFailure[] = [
    ...keywords.map(
      (keyword): PlatformFailure => ({
        role: 'validation',
        issues: [{ location: 'body', field: 'title', message: 'is not valid', keyword }],
      }),
    ),
    ...sampleFailures,
  ];
  for (const failure of failures) {
    const answer = roleAnswer(catalog.platform, failure);
    const entry = 'code' in answer ? catalog.errors.find((e) => e.name === answer.code) : undefined;
    if (!entry) {
      continue;
    }
    const sent = Object.keys(answers.details(failure, entry.name as Name) ?? {});
    const documented = Object.keys(entry.details ?? {});
    const required = documented.filter((key) => !entry.optionalDetails?.includes(key));
    const wrong = [
      ...sent.filter((key) => !documented.includes(key)).map((key) => `sends ${key}`),
      ...required.filter((key) => !sent.includes(key)).map((key) => `lacks ${key}`),
    ];
    if (wrong.length > 0) {
      throw new Error(
        `${catalog.service}: the details of ${entry.name} for ${failure.role} ${wrong.join(', ')}`,
      );
    }
  }
}

/** The one error handler of a service: writes what `answer` says, logs what it says to log. */
export function errorHandler(
  answer: FailureAnswerer,
  { lifecycle, logger }: { lifecycle: Lifecycle; logger: Logger },
) {
  return (error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const requestId: string = response.locals.requestId ?? newRequestId();
    const hasBody =
      Number(request.get('content-length') ?? 0) > 0 ||
      request.get('transfer-encoding') !== undefined;
    const path = request.originalUrl.split('?')[0] ?? '';
    const failed = answer(error, { method: request.method, path, hasBody }, requestId);
    if (failed.log) {
      const cause = isApiError(error) && error.cause !== undefined ? error.cause : error;
      logger[failed.log]({ err: cause, code: failed.code, req_id: requestId }, 'request failed');
    }
    if (failed.retryAfter !== undefined) {
      response.set('Retry-After', String(failed.retryAfter));
    }
    if (lifecycle.draining) {
      response.set('Connection', 'close');
    }
    response.status(failed.status).type(failed.contentType).send(failed.body);
  };
}
