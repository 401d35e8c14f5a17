import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyHash } from '../../src/workflow-cloud/ids.ts';
import { openWorkflowCloudDatabase } from '../../src/workflow-cloud/migrations.ts';

// npm run workflow-cloud:account: what an operator does to workflow-cloud, on npm start's
// database. Each run of tsx takes a second or two, so independent runs go side by side.

const tsx = resolve('node_modules/.bin/tsx');
const script = resolve('scripts/workflow-cloud-account.ts');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script on the SQLite database under `dataDir`. */
function account(dataDir: string, ...args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(tsx, [script, ...args], {
      env: { ...process.env, DATABASE_URL: '', WORKFLOW_CLOUD_DATABASE: '', DATA_DIR: dataDir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** What a run that succeeded printed. */
function printed(run: Run) {
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

const word = (output: string, label: string) => {
  const found = new RegExp(`^${label} (\\S+)$`, 'm').exec(output)?.[1];
  expect(found, output).toBeDefined();
  return found as string;
};

const prompt = {
  '12': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
  '13': { class_type: 'SaveImage', inputs: { filename_prefix: 'api', images: ['12', 0] } },
};

describe.concurrent('npm run workflow-cloud:account', () => {
  it('opens accounts of every plan, and manages their keys, wallets, workflows and apps', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'workflow-cloud-account-'));
    const file = join(dataDir, 'image-copy.json');
    writeFileSync(file, JSON.stringify(prompt));

    // The first run creates the database; the others can then go side by side.
    const shared = printed(await account(dataDir, 'add', 'acme', 'shared', '--coins', '50'));
    const sharedId = word(shared, 'account');
    const firstKey = word(shared, 'key');
    const [free, exclusive, enterprise, key, workflow, app] = await Promise.all([
      account(dataDir, 'add', 'trial', 'free', '--coins=100'),
      account(dataDir, 'add', 'studio', 'exclusive', '--instances', '2', '--until', '2027-01-01'),
      account(dataDir, 'add', 'bigco', 'enterprise', '--money-cents', '10000', '--currency', 'USD'),
      account(dataDir, 'key', sharedId, '--expires', '2030-06-30T12:00:00+08:00'),
      account(dataDir, 'workflow', sharedId, 'Image copy', file, '--cost', '7', '--public'),
      account(dataDir, 'app', 'Image copy app', file, '--cost', '3'),
    ]);
    const freeId = word(printed(free), 'account');
    const exclusiveId = word(printed(exclusive), 'account');
    const enterpriseId = word(printed(enterprise), 'account');
    const secondKey = word(printed(key), 'key');
    const workflowId = word(printed(workflow), 'workflow');
    const webappId = word(printed(app), 'webapp');

    const [revoke, ran, topUp, enterpriseTopUp, membership, close, noAccount] = await Promise.all([
      account(dataDir, 'revoke', secondKey),
      account(dataDir, 'ran', workflowId),
      account(dataDir, 'top-up', sharedId, '25'),
      account(dataDir, 'top-up', enterpriseId, '500'),
      account(dataDir, 'exclusive', sharedId, '1', '2026-12-31'),
      account(dataDir, 'close', freeId),
      account(dataDir, 'key', '999'),
    ]);
    expect(printed(revoke)).toBe(`revoked ${secondKey.slice(0, 6)}…\n`);
    expect(printed(ran)).toBe(`workflow ${workflowId} ran: the API runs it now\n`);
    expect(printed(topUp)).toBe(`${sharedId}: 75 coins\n`);
    expect(printed(enterpriseTopUp)).toBe(`${enterpriseId}: 10500 cents of USD\n`);
    expect(printed(membership)).toBe(
      `${sharedId}: 1 exclusive instances until 2026-12-31T00:00:00.000Z\n`,
    );
    expect(printed(close)).toBe(`closed ${freeId}\n`);
    // A failure on the database: exit 1, one line.
    expect([noAccount.status, noAccount.stderr]).toEqual([1, 'key: no account 999\n']);

    const db = await openWorkflowCloudDatabase(join(dataDir, 'workflow-cloud.sqlite'));
    try {
      const accounts = await db.selectFrom('accounts').selectAll().orderBy('name').execute();
      const rows = Object.fromEntries(accounts.map((row) => [row.name, row]));
      expect(Object.keys(rows)).toEqual(['acme', 'bigco', 'studio', 'trial']);
      expect(rows.acme).toMatchObject({
        id: sharedId,
        plan: 'shared',
        coins: 75,
        money_cents: 0,
        currency: null,
        concurrency: 5,
        instances: 1,
        exclusive_until: '2026-12-31T00:00:00.000Z',
        closed_at: null,
      });
      expect(rows.trial).toMatchObject({ id: freeId, plan: 'free', coins: 100 });
      expect(rows.trial?.closed_at).not.toBeNull();
      expect(rows.studio).toMatchObject({
        id: exclusiveId,
        plan: 'exclusive',
        concurrency: 0,
        instances: 2,
        exclusive_until: '2027-01-01T00:00:00.000Z',
      });
      expect(rows.bigco).toMatchObject({
        id: enterpriseId,
        plan: 'enterprise',
        coins: 0,
        money_cents: 10_500,
        currency: 'USD',
      });

      const keys = await db.selectFrom('api_keys').selectAll().execute();
      expect(keys).toHaveLength(5);
      const byHash = Object.fromEntries(keys.map((row) => [row.key_hash, row]));
      expect(byHash[keyHash(firstKey)]).toMatchObject({
        account_id: sharedId,
        expires_at: null,
        revoked_at: null,
      });
      expect(byHash[keyHash(secondKey)]).toMatchObject({
        account_id: sharedId,
        expires_at: '2030-06-30T04:00:00.000Z',
      });
      expect(byHash[keyHash(secondKey)]?.revoked_at).not.toBeNull();
      // An enterprise's first key expires, a year on.
      const enterpriseKey = keys.find((row) => row.account_id === enterpriseId);
      expect(Date.parse(enterpriseKey?.expires_at ?? '')).toBeGreaterThan(
        Date.now() + 364 * 86_400_000,
      );

      const workflows = await db.selectFrom('workflows').selectAll().execute();
      expect(workflows).toEqual([
        expect.objectContaining({
          id: workflowId,
          account_id: sharedId,
          name: 'Image copy',
          public: 1,
          cost: 7,
          ran_at: expect.any(String),
        }),
      ]);
      expect(JSON.parse(workflows[0]?.prompt ?? '')).toEqual(prompt);
      const webapps = await db.selectFrom('webapps').selectAll().execute();
      expect(webapps).toEqual([
        expect.objectContaining({ id: webappId, name: 'Image copy app', cost: 3 }),
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('tells a usage error in one line, exit 2, and creates no database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'workflow-cloud-account-'));
    const noClassType = join(dataDir, 'broken.json');
    writeFileSync(noClassType, JSON.stringify({ '1': { inputs: {} } }));
    const runs = await Promise.all([
      account(dataDir, 'bogus'),
      account(dataDir, 'add', 'acme', 'gold'),
      account(dataDir, 'top-up', '1', '1.5'),
      account(dataDir, 'workflow', '1', 'x', join(dataDir, 'missing.json')),
      account(dataDir, 'app', 'x', noClassType),
      account(dataDir, 'exclusive', '1', '2', '2026-02-30'),
    ]);
    expect(runs.map((run) => [run.status, run.stdout, run.stderr])).toEqual(
      [
        'unknown command bogus; see npm run workflow-cloud:account -- help',
        'add: plan must be one of free, shared, exclusive, enterprise, not gold',
        'top-up: amount must be a positive whole number, not 1.5',
        `workflow: no file ${join(dataDir, 'missing.json')}`,
        `app: ${noClassType}: node 1 has no class_type`,
        'exclusive: until must be an ISO date like 2026-12-31, not 2026-02-30',
      ].map((message) => [2, '', `${message}\n`]),
    );
    expect(readdirSync(dataDir).sort()).toEqual(['broken.json']);
  });

  it('prints its usage on help', async () => {
    const help = await account(mkdtempSync(join(tmpdir(), 'workflow-cloud-account-')), 'help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run workflow-cloud:account -- <command>\n/);
    for (const command of ['add', 'key', 'revoke', 'close', 'top-up', 'exclusive', 'workflow']) {
      expect(help.stdout).toContain(`\n  ${command} `);
    }
  });
});
