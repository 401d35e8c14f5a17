import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsRouter } from '../../src/docs/serve.ts';

let server: Server;
let origin: string;

beforeAll(async () => {
  const docs = mkdtempSync(join(tmpdir(), 'docs-'));
  mkdirSync(join(docs, 'podi'));
  writeFileSync(join(docs, 'index.html'), '<h1>landing</h1>');
  writeFileSync(join(docs, 'podi', 'index.html'), '<h1>reference</h1>');
  writeFileSync(join(docs, 'podi', 'errors.html'), '<h1>catalog</h1>');
  writeFileSync(join(docs, 'podi', 'changelog.html'), '<h1>changelog</h1>');
  writeFileSync(join(docs, 'podi.yaml'), 'openapi: 3.1.0\n');
  const built = (service: string) => ({
    service,
    document: join(docs, 'podi.yaml'),
    catalog: `openapi/${service}/errors.yaml`,
  });
  const app = express().use(docsRouter(docs, [built('podi'), built('bot-agent')]));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('docsRouter', () => {
  it.each([
    ['/docs', 'landing'],
    ['/docs/', 'landing'],
    ['/docs/podi', 'reference'],
    ['/docs/podi/errors', 'catalog'],
    ['/docs/podi/changelog', 'changelog'],
  ])('serves %s', async (path, page) => {
    const answer = await fetch(`${origin}${path}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/html');
    expect(answer.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await answer.text()).toContain(page);
  });

  it('serves the bundled document the landing page links to', async () => {
    const answer = await fetch(`${origin}/openapi/podi.yaml`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('application/yaml');
    expect(await answer.text()).toBe('openapi: 3.1.0\n');
  });

  it('says how to build the docs of a service not built yet', async () => {
    const answer = await fetch(`${origin}/docs/bot-agent/errors`);
    expect(answer.status).toBe(404);
    expect(await answer.text()).toContain('npm run docs');
  });

  it('serves nothing else from the docs directory', async () => {
    const answer = await fetch(`${origin}/docs/podi/index.html`);
    expect(answer.status).toBe(404);
  });
});
