// @ts-check
// Where the docs and the bundled documents are served, on the server and on the mock alike. The
// URL scheme itself is src/catalog/links.js, which the error envelopes link with.

export { docsHome, docsLinks } from '../catalog/links.js';

/** Where `npm run docs` writes the docs, and where the server and the mock read them. */
export const docsDir = 'dist/docs';
