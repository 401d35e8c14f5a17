import type { Request } from 'express';
import type { Catalog } from '../src/catalog/types.d.ts';
import { ApiError } from '../src/platform/api-error.ts';
import type { SecurityScheme } from '../src/platform/security.ts';
import { shapedDetails } from './details.ts';

/** A security scheme as a document declares it, with the code for missing credentials. */
export interface SchemeShape {
  type: string;
  scheme?: string;
  in?: string;
  name?: string;
  'x-missing-credentials'?: string;
}

/**
 * The mock's checks of a document's security schemes: any credentials are good, as the mock
 * knows no accounts; a request without them gets the code the scheme's `x-missing-credentials`
 * names, as the server answers it.
 */
export function mockSchemes(
  schemes: Record<string, SchemeShape>,
  catalog: Catalog,
): Record<string, SecurityScheme<unknown>> {
  return Object.fromEntries(
    Object.entries(schemes).map(([name, scheme]) => [name, mockScheme(name, scheme, catalog)]),
  );
}

function mockScheme(name: string, scheme: SchemeShape, catalog: Catalog): SecurityScheme<unknown> {
  const entry = catalog.errors.find((each) => each.name === scheme['x-missing-credentials']);
  if (!entry) {
    throw new Error(
      `${catalog.service}: security scheme ${name} names no x-missing-credentials code`,
    );
  }
  const where = scheme.type === 'http' ? 'Authorization' : (scheme.name ?? name);
  const message = `${where} is missing`;
  const details = shapedDetails(entry.details ?? {}, {
    header: where,
    field: where,
    problem: 'missing',
    reason: message,
    message,
    msg: message,
    detail: message,
  });
  const refuse = () =>
    new ApiError(entry.name, Object.keys(details).length > 0 ? details : undefined);
  const present = credentialsPresent(scheme);
  return async (request) => {
    if (!present(request)) {
      throw refuse();
    }
    return {};
  };
}

/** Whether a request carries the scheme's credentials at all (`Bearer <token>`, its header…). */
function credentialsPresent(scheme: SchemeShape): (request: Request) => boolean {
  if (scheme.type === 'http') {
    const prefix = `${scheme.scheme ?? 'bearer'} `.toLowerCase();
    return (request) => {
      const header = request.get('authorization') ?? '';
      return header.toLowerCase().startsWith(prefix) && header.slice(prefix.length).trim() !== '';
    };
  }
  if (scheme.type !== 'apiKey' || scheme.in !== 'header' || !scheme.name) {
    throw new Error(
      `the mock checks bearer, basic and header API keys, not ${JSON.stringify(scheme)}`,
    );
  }
  const name = scheme.name;
  return (request) => (request.get(name) ?? '').trim() !== '';
}
