import type { RequestHandler } from 'express';
import type { Admission } from './limits.ts';

/**
 * Headers every answer of a service carries: its answers are for one caller (no shared cache may
 * keep them, a sign-in's token least of all), and their content type is the one they declare.
 */
export function securityHeaders(): RequestHandler {
  return (_request, response, next) => {
    response.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    next();
  };
}

/** A limit counted per client address, and the service's refusal past it. */
export interface ClientLimit {
  take(key: string): Admission | Promise<Admission>;
  refuse(retryAfter: number): Error;
}

/**
 * Counts every request against its client address (`request.ip`, behind the proxies the
 * `trust proxy` setting names) before anything is parsed or checked, so bad tokens, unknown
 * paths and malformed bodies are limited too.
 */
export function clientLimit(limit: ClientLimit): RequestHandler {
  return async (request, _response, next) => {
    try {
      const admission = await limit.take(`client:${request.ip}`);
      next(admission.allowed ? undefined : limit.refuse(admission.retryAfter));
    } catch (error) {
      next(error);
    }
  };
}
