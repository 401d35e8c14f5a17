// @ts-check
// Where the docs and the bundled documents are served, on the server and on the mock alike. Plain
// JavaScript, since the Redocly plugin links divination's error `type` to the catalog page.

/** Where `npm run docs` writes the docs, and where the server and the mock read them. */
export const docsDir = 'dist/docs';

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
