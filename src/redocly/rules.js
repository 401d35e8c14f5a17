// @ts-check
import { resolveCatalog } from './catalog-ref.js';

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
