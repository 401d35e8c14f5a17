import type { NextFunction, Request, Response } from 'express';
import type { Logger } from './logger.ts';
import { requestId } from './request-id.ts';

/**
 * Gives each request its id (`X-Request-Id`, `response.locals.requestId`) and logs one line when
 * its response is finished: method, path, status, duration, id. A failure the service's error
 * handler logs by its role gets a line of its own, with its cause.
 */
export function requestLog(logger: Logger) {
  // A logger that drops access lines (the mock's, by default) costs no listener per request.
  const logs = logger.isLevelEnabled('info');
  return (request: Request, response: Response, next: NextFunction) => {
    const id = requestId(request);
    const started = performance.now();
    response.locals.requestId = id;
    response.setHeader('X-Request-Id', id);
    if (!logs) {
      next();
      return;
    }
    response.once('finish', () => {
      logger.info(
        {
          req_id: id,
          method: request.method,
          url: request.originalUrl,
          status: response.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'request',
      );
    });
    next();
  };
}
