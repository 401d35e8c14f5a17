import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoAgents } from '../src/task-market/demo.ts';
import { demo } from '../src/workflow-cloud/demo.ts';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

describe('npm start', () => {
  it('serves the APIs and the mock, and stops cleanly on SIGTERM', async () => {
    const [port, mockPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        MOCK_PORT: String(mockPort),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'start-')),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    child.stdout.on('data', (chunk) => {
      printed += chunk;
    });
    while (!printed.includes('demo agents') || !printed.includes('demo account')) {
      await once(child.stdout, 'data');
    }
    const [atlas] = demoAgents;
    expect(printed).toContain(atlas?.secret);
    // Loopback unless HOST says otherwise.
    expect(printed).toContain(`api-contracts on http://127.0.0.1:${port}`);

    const signIn = await fetch(`http://127.0.0.1:${port}/task-market/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent_id: atlas?.id, secret: atlas?.secret }),
    });
    expect(signIn.status).toBe(200);
    expect(printed).toContain(demo.apiKey);
    const account = await fetch(
      `http://127.0.0.1:${port}/workflow-cloud/uc/openapi/accountStatus`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apikey: demo.apiKey }),
      },
    );
    expect(await account.json()).toMatchObject({ code: 0, data: { apiType: 'NORMAL' } });
    // divination: the auth provider stand-in's codes are printed.
    const phone = '+8613800001234';
    const otp = await fetch(`http://127.0.0.1:${port}/divination/auth/otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone }),
    });
    expect(otp.status).toBe(204);
    const printedCode = new RegExp(`one-time code (\\d{6}) for \\${phone}`);
    while (!printedCode.test(printed)) {
      await once(child.stdout, 'data');
    }
    const divinationSignIn = await fetch(`http://127.0.0.1:${port}/divination/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone, code: printedCode.exec(printed)?.[1] }),
    });
    expect(divinationSignIn.status).toBe(200);
    const document = await fetch(`http://127.0.0.1:${port}/openapi/task-market.yaml`);
    expect(document.status).toBe(200);
    expect(await document.text()).toContain('title: Task market API');
    const mocked = await fetch(`http://127.0.0.1:${mockPort}/task-market/points`, {
      headers: { authorization: 'Bearer mock', prefer: 'example=SERVICE_UNAVAILABLE' },
    });
    expect(mocked.status).toBe(503);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
