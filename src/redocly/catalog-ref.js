// @ts-check
import { checkCatalog } from '../catalog/check.js';

/** @typedef {import('../catalog/types.d.ts').Catalog} Catalog */
/** @typedef {import('../catalog/types.d.ts').CatalogEntry} CatalogEntry */
/** @typedef {import('../catalog/types.d.ts').CatalogProblem} CatalogProblem */

/**
 * The catalog a document names in its root `x-error-catalog: {$ref: ./errors.yaml}`.
 * @typedef {object} ResolvedCatalog
 * @property {Catalog | undefined} catalog usable when it has an `errors` list, even with problems
 * @property {CatalogProblem[]} problems
 * @property {any} location Redocly location of the catalog file (or of the root, when unresolved)
 * @property {Map<string, CatalogEntry>} byName first entry of each name
 */

/**
 * @param {any} root the document root
 * @param {any} ctx Redocly visitor context of the root
 * @returns {ResolvedCatalog}
 */
export function resolveCatalog(root, ctx) {
  const ref = root['x-error-catalog'];
  if (!ref || typeof ref.$ref !== 'string') {
    return unusable(
      ctx.location,
      'the root must name its catalog: x-error-catalog: {$ref: ./errors.yaml}',
    );
  }
  const { node, location } = ctx.resolve(ref);
  if (node === undefined || node === null) {
    return unusable(ctx.location.child(['x-error-catalog']), `cannot read the catalog ${ref.$ref}`);
  }
  const problems = checkCatalog(node);
  const catalog = Array.isArray(node.errors) ? /** @type {Catalog} */ (node) : undefined;
  const byName = new Map();
  for (const entry of catalog?.errors ?? []) {
    if (!byName.has(entry.name)) {
      byName.set(entry.name, entry);
    }
  }
  return { catalog, problems, location, byName };
}

/**
 * @param {any} location
 * @param {string} message
 * @returns {ResolvedCatalog}
 */
function unusable(location, message) {
  return { catalog: undefined, problems: [{ message, path: [] }], location, byName: new Map() };
}
