// @ts-check
// Redocly plugin (redocly.yaml: plugins) that ties each document to its error catalog.
import { expandXErrors } from './expand-x-errors.js';
import {
  catalogValid,
  xErrorsKnown,
  xErrorsPlatform,
  xErrorsRequired,
  xErrorsUsed,
  xMissingCredentials,
} from './rules.js';

/** Removes the root's `x-error-catalog` $ref from the bundle, which would otherwise inline the catalog. */
function dropCatalogRef() {
  return {
    Root: {
      enter(/** @type {any} */ root) {
        delete root['x-error-catalog'];
      },
    },
  };
}

export default function contractsPlugin() {
  return {
    id: 'contracts',
    preprocessors: { oas3: { 'expand-x-errors': expandXErrors } },
    decorators: { oas3: { 'drop-catalog-ref': dropCatalogRef } },
    rules: {
      oas3: {
        'catalog-valid': catalogValid,
        'x-errors-required': xErrorsRequired,
        'x-errors-known': xErrorsKnown,
        'x-errors-used': xErrorsUsed,
        'x-errors-platform': xErrorsPlatform,
        'x-missing-credentials': xMissingCredentials,
      },
    },
  };
}
