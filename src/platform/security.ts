import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Checks one security scheme of an operation. It gets the caller found by the schemes before it
 * (`null` for the first) and returns the caller, or throws the service's ApiError.
 */
export type SecurityScheme<Auth> = (request: Request, caller: Auth | null) => Promise<Auth>;

/**
 * One requirement of an operation's `security`, its schemes in the order written, split where
 * the first one that reads the body (a signature) is: the others run before the body is read, so
 * a request without credentials is refused before its body costs anything.
 */
interface Requirement<Auth> {
  early: SecurityScheme<Auth>[];
  late: SecurityScheme<Auth>[];
}

/** What the early step found: the requirement that passed so far, and its caller. */
interface EarlyCheck<Auth> {
  requirement?: Requirement<Auth>;
  caller: Auth | null;
}

/** The requirements of an operation's `security`, resolved once at start-up. */
export function requirementsOf<Auth>(
  security: Record<string, string[]>[],
  schemes: Record<string, SecurityScheme<Auth>>,
  bodySchemes: readonly string[],
  service: string,
): Requirement<Auth>[] {
  return security.map((requirement) => {
    const names = Object.keys(requirement);
    for (const name of names) {
      if (!schemes[name]) {
        throw new Error(`${service}: no handler for security scheme ${name}`);
      }
    }
    const split = names.findIndex((name) => bodySchemes.includes(name));
    const at = split < 0 ? names.length : split;
    const scheme = (name: string) => schemes[name] as SecurityScheme<Auth>;
    return { early: names.slice(0, at).map(scheme), late: names.slice(at).map(scheme) };
  });
}

/**
 * The step before the body: the first requirement whose early schemes pass is the one the
 * request goes on with. When none passes, the first one's failure is the answer.
 */
export function authenticateEarly<Auth>(requirements: Requirement<Auth>[]): RequestHandler {
  return async (request: Request, response: Response, next: NextFunction) => {
    if (requirements.length === 0) {
      response.locals.authentication = { caller: null } satisfies EarlyCheck<Auth>;
      next();
      return;
    }
    let firstFailure: unknown;
    for (const requirement of requirements) {
      try {
        let caller: Auth | null = null;
        for (const scheme of requirement.early) {
          caller = await scheme(request, caller);
        }
        response.locals.authentication = { requirement, caller } satisfies EarlyCheck<Auth>;
        next();
        return;
      } catch (error) {
        firstFailure ??= error;
      }
    }
    next(firstFailure);
  };
}

/** The step after the body: the rest of the chosen requirement. Returns the caller. */
export async function authenticateLate<Auth>(
  request: Request,
  response: Response,
): Promise<Auth | null> {
  const { requirement, caller } = response.locals.authentication as EarlyCheck<Auth>;
  let found = caller;
  for (const scheme of requirement?.late ?? []) {
    found = await scheme(request, found);
  }
  return found;
}
