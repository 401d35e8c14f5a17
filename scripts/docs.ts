// npm run docs [-- --out <dir>]: the API docs of every built document, into dist/docs.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { builtServices } from '../src/build/services.ts';
import { buildDocs } from '../src/docs/build.ts';
import { docsDir } from '../src/docs/links.js';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? docsDir);
const started = performance.now();
const services = builtServices();
await buildDocs(services, out);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`built the docs of ${services.length} APIs into ${out} in ${seconds} s`);
