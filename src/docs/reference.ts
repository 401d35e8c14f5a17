import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { redocly } from '../build/redocly.ts';
import { contentSecurityPolicy } from './html.ts';

const template = fileURLToPath(new URL('./reference.hbs', import.meta.url));

// Redoc's footer shows Redocly's logo from their CDN; a local wordmark keeps the page offline.
const remoteLogos = /https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(?:-full)?\.svg/g;
const localLogo = `data:image/svg+xml,${encodeURIComponent(
  "<svg xmlns='http://www.w3.org/2000/svg' width='52' height='14' viewBox='0 0 52 14'>" +
    "<text x='0' y='11' font-family='sans-serif' font-size='11' font-weight='600' fill='#0044d4'>Redocly</text></svg>",
)}`;

/**
 * The reference page of one bundled document (`redocly build-docs`), with Redoc's scripts inlined
 * and nothing fetched from the internet.
 */
export async function buildReference(document: string, title: string, output: string) {
  const run = await redocly(process.cwd(), [
    'build-docs',
    document,
    '--inlineBundle',
    `--template=${template}`,
    `--templateOptions.contentSecurityPolicy=${contentSecurityPolicy}`,
    `--title=${title}`,
    `--output=${output}`,
  ]);
  if (!run.ok) {
    throw new Error(`redocly build-docs ${document} failed:\n${run.output}`);
  }
  writeFileSync(output, readFileSync(output, 'utf8').replace(remoteLogos, localLogo));
}
