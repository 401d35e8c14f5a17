// @ts-check
// The URL scheme of the published docs, which the error envelopes link to (divination's `type`)
// and the docs pages are served at. It lives with the catalog, below the docs, so the catalog
// layer never imports the docs; src/docs/links.js re-exports what the docs and the server use.

/** The docs' landing page. */
export const docsHome = '/docs';

/**
 * The pages of one service's docs, and its bundled document.
 * @param {string} service
 */
export function docsLinks(service) {
  return {
    reference: `${docsHome}/${service}`,
    errors: `${docsHome}/${service}/errors`,
    document: `/openapi/${service}.yaml`,
  };
}

/**
 * Path of a code's entry on the published error catalog page (`/docs/podi/errors#NOT_FOUND`).
 * @param {string} service
 * @param {string} name
 */
export function catalogEntryPath(service, name) {
  return `${docsLinks(service).errors}#${name}`;
}
