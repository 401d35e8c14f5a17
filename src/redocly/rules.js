// @ts-check
import {
  operationRoles,
  roleBody,
  roleCode,
  roleDescriptions,
  roleValues,
} from '../catalog/platform.js';
import { resolveCatalog } from './catalog-ref.js';
import { operationShape } from './operation-shape.js';

/** @typedef {import('./catalog-ref.js').ResolvedCatalog} ResolvedCatalog */

/** Rule `catalog-valid`: the catalog the root names passes its JSON Schema and catalog rules. */
export function catalogValid() {
  return {
    Root: {
      enter(/** @type {any} */ root, /** @type {any} */ ctx) {
        const { problems, location } = resolveCatalog(root, ctx);
        for (const problem of problems) {
          ctx.report({ message: problem.message, location: location.child(problem.path) });
        }
      },
    },
  };
}

/** Rule `x-errors-required`: every operation lists the codes it can raise. */
export function xErrorsRequired() {
  return {
    Paths: {
      PathItem: {
        Operation: {
          enter(/** @type {any} */ operation, /** @type {any} */ ctx) {
            if (!Array.isArray(operation['x-errors']) || operation['x-errors'].length === 0) {
              ctx.report({
                message: `operation ${operation.operationId ?? ctx.key} has no x-errors: list the codes it can raise`,
                location: ctx.location.key(),
              });
            }
          },
        },
      },
    },
  };
}

/** Rule `x-errors-known`: every x-errors entry is a catalog code the operation can carry. */
export function xErrorsKnown() {
  /** @type {ResolvedCatalog | undefined} */
  let resolved;
  return {
    Root: {
      enter(/** @type {any} */ root, /** @type {any} */ ctx) {
        resolved = resolveCatalog(root, ctx);
      },
    },
    Operation: {
      enter(/** @type {any} */ operation, /** @type {any} */ ctx) {
        const names = operation['x-errors'];
        if (!resolved?.catalog || !Array.isArray(names)) {
          return;
        }
        const seen = new Set();
        names.forEach((/** @type {unknown} */ name, /** @type {number} */ index) => {
          const at = ctx.location.child(['x-errors', index]);
          const entry = resolved?.byName.get(String(name));
          if (!entry) {
            ctx.report({
              message: `x-errors: unknown code ${name}: it is not in the ${resolved?.catalog?.service} catalog`,
              location: at,
            });
          } else if (seen.has(name)) {
            ctx.report({ message: `x-errors: ${name} is listed twice`, location: at });
          } else if (entry.surface === 'body' && !hasJsonResponse(operation, entry.status)) {
            ctx.report({
              message: `x-errors: ${name} is a ${entry.status} answer of this operation: document that response with JSON content`,
              location: at,
            });
          } else if (
            entry.surface === 'field' &&
            (typeof operation['x-error-field']?.path !== 'string' ||
              !hasJsonExample(operation, entry.status))
          ) {
            ctx.report({
              message: `x-errors: ${name} is carried by a field of the ${entry.status} answer: give the operation x-error-field (path of the field) and an example of that answer`,
              location: at,
            });
          }
          seen.add(name);
        });
      },
    },
  };
}

/** Rule `x-errors-used`: every catalog code is raised by at least one operation. */
export function xErrorsUsed() {
  /** @type {ResolvedCatalog | undefined} */
  let resolved;
  const used = new Set();
  return {
    Root: {
      enter(/** @type {any} */ root, /** @type {any} */ ctx) {
        resolved = resolveCatalog(root, ctx);
      },
      leave(/** @type {any} */ _root, /** @type {any} */ ctx) {
        resolved?.catalog?.errors.forEach((entry, index) => {
          if (!used.has(entry.name)) {
            ctx.report({
              message: `catalog code ${entry.name} is used by no operation: add it to the x-errors of the operations that raise it`,
              location: resolved?.location.child(['errors', index, 'name']),
            });
          }
        });
      },
    },
    Operation: {
      enter(/** @type {any} */ operation) {
        for (const name of operation['x-errors'] ?? []) {
          used.add(name);
        }
      },
    },
  };
}

/**
 * Rule `x-errors-platform`: every operation lists the codes the platform answers it with
 * whatever its handler does (catalog `platform`: draining, database down, internal, a refused
 * query parameter; with a request body, a wrong media type, an oversize body, and for a JSON
 * body one that is not JSON), and every body that is no code names a schema of the document.
 */
export function xErrorsPlatform() {
  /** @type {ResolvedCatalog | undefined} */
  let resolved;
  return {
    Root: {
      enter(/** @type {any} */ root, /** @type {any} */ ctx) {
        resolved = resolveCatalog(root, ctx);
        const platform = resolved.catalog?.platform;
        if (!platform || resolved.problems.length > 0) {
          resolved = undefined;
          return;
        }
        const schemas = root.components?.schemas ?? {};
        for (const at of roleValues(platform)) {
          const body = roleBody(at.value);
          if (body && !Object.hasOwn(schemas, body.schema)) {
            ctx.report({
              message: `${at.path.join('.')}: schema ${body.schema} is not under components/schemas of the document`,
              location: resolved.location.child([...at.path, 'schema']),
            });
          }
        }
      },
    },
    Operation: {
      enter(/** @type {any} */ operation, /** @type {any} */ ctx) {
        const platform = resolved?.catalog?.platform;
        if (!platform || !Array.isArray(operation['x-errors'])) {
          return;
        }
        const listed = new Set(operation['x-errors']);
        const missing = new Map();
        for (const at of operationRoles(platform, operationShape(operation, ctx))) {
          const name = roleCode(at.value);
          if (name !== undefined && !listed.has(name)) {
            const role = at.keyword ? `${at.role}.${at.keyword}` : at.role;
            // Validation applies to every operation through its query: unknown parameters are refused.
            const what =
              at.role === 'validation'
                ? 'an unknown query parameter, refused on every operation'
                : roleDescriptions[at.role];
            missing.set(name, [...(missing.get(name) ?? []), `${role}: ${what}`]);
          }
        }
        for (const [name, roles] of missing) {
          ctx.report({
            message: `x-errors of ${operation.operationId ?? ctx.key} lacks ${name}, which the platform answers it with (platform.${roles.join('; platform.')})`,
            location: ctx.location.child(['x-errors']).key(),
          });
        }
      },
    },
  };
}

/**
 * Rule `x-missing-credentials`: every security scheme names, in `x-missing-credentials`, the
 * catalog code a request without its credentials gets (what the mock answers, and the server),
 * and every operation that requires the scheme lists that code.
 */
export function xMissingCredentials() {
  /** @type {ResolvedCatalog | undefined} */
  let resolved;
  /** @type {Map<string, string>} */
  const codes = new Map();
  /** @type {unknown[]} */
  let defaultSecurity = [];
  return {
    Root: {
      enter(/** @type {any} */ root, /** @type {any} */ ctx) {
        resolved = resolveCatalog(root, ctx);
        defaultSecurity = root.security ?? [];
        const schemes = root.components?.securitySchemes ?? {};
        for (const [name, scheme] of Object.entries(schemes)) {
          const code = /** @type {any} */ (scheme)['x-missing-credentials'];
          const at = ctx.location.child(['components', 'securitySchemes', name]);
          if (typeof code !== 'string') {
            ctx.report({
              message: `security scheme ${name} has no x-missing-credentials: name the code a request without its credentials gets`,
              location: at.key(),
            });
          } else if (resolved.catalog && !resolved.byName.has(code)) {
            ctx.report({
              message: `x-missing-credentials of ${name}: ${code} is not in the ${resolved.catalog.service} catalog`,
              location: at.child(['x-missing-credentials']),
            });
          } else {
            codes.set(name, code);
          }
        }
      },
    },
    Operation: {
      enter(/** @type {any} */ operation, /** @type {any} */ ctx) {
        const listed = new Set(operation['x-errors'] ?? []);
        const security = operation.security ?? defaultSecurity;
        const schemes = new Set(security.flatMap((/** @type {any} */ each) => Object.keys(each)));
        for (const name of schemes) {
          const code = codes.get(name);
          if (code !== undefined && !listed.has(code)) {
            ctx.report({
              message: `x-errors of ${operation.operationId ?? ctx.key} lacks ${code}, the answer to a request without ${name} credentials`,
              location: ctx.location.child(['x-errors']).key(),
            });
          }
        }
      },
    },
  };
}

/**
 * @param {any} operation
 * @param {number} status
 */
function hasJsonResponse(operation, status) {
  const content = operation.responses?.[String(status)]?.content ?? {};
  return Object.keys(content).some((type) => type.includes('json'));
}

/**
 * @param {any} operation
 * @param {number} status
 */
function hasJsonExample(operation, status) {
  const content = operation.responses?.[String(status)]?.content ?? {};
  return Object.entries(content).some(
    ([type, media]) => type.includes('json') && Object.keys(media?.examples ?? {}).length > 0,
  );
}
