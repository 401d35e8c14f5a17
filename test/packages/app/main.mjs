// The compiled app under plain Node, with no bundler: node main.mjs <origin>. Prints what it saw.
import { readFileSync } from 'node:fs';
import { catalog } from '@api-contracts/client/task-market/errors';
import { run } from './build/app.js';

const document = new URL(import.meta.resolve('@api-contracts/client/task-market/openapi.yaml'));
const seen = await run(process.argv[2]);
const title = readFileSync(document, 'utf8').match(/^ {2}title: (.+)$/m)?.[1];
process.stdout.write(JSON.stringify({ ...seen, service: catalog.service, documentTitle: title }));
