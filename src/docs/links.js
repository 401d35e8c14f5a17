// @ts-check
// Where the docs and the bundled documents are served, on the server and on the mock alike. The
// URL scheme itself is src/catalog/links.js, which the error envelopes link with.

import { docsLinks } from '../catalog/links.js';

export { docsHome, docsLinks } from '../catalog/links.js';

/** Where `npm run docs` writes the docs, and where the server and the mock read them. */
export const docsDir = 'dist/docs';

/**
 * A service's changelog page, beside its reference. No error envelope links to it, so it is
 * not part of the catalog's URL scheme.
 * @param {string} service
 */
export function changelogLink(service) {
  return `${docsLinks(service).reference}/changelog`;
}
