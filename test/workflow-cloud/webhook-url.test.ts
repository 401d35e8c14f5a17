import { afterEach, describe, expect, it } from 'vitest';
import { isApiError } from '../../src/platform/api-error.ts';
import { checkWebhookUrl, isInternalAddress } from '../../src/workflow-cloud/webhook-url.ts';
import { type Cloud, startCloud } from './harness.ts';

describe('isInternalAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['8.8.8.8', false],
    ['::1', true],
    ['::', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['2001:4860:4860::8888', false],
  ])('%s: %s', (address, internal) => {
    expect(isInternalAddress(address)).toBe(internal);
  });
});

describe('webhook URLs', () => {
  let cloud: Cloud;
  afterEach(() => cloud?.close());

  it.each([
    'http://127.0.0.1:8188/interrupt',
    'http://localhost/hook',
    'http://[::1]/hook',
    'ftp://example.org/hook',
  ])('refuses %s (301) unless internal calls are allowed', async (url) => {
    const refused = await checkWebhookUrl(url, false).catch((error: unknown) => error);
    expect(isApiError(refused) && refused.code).toBe('PARAMS_INVALID');
  });

  it('refuses a task whose webhook would reach ComfyUI, before anything is reserved', async () => {
    cloud = await startCloud({
      config: {
        webhook: { timeoutMs: 1000, retryDelaySeconds: 0.05, attempts: 4, allowInternal: false },
      },
    });
    const { apiKey } = cloud.accounts.shared;
    const reply = await cloud.post('/task/openapi/create', {
      apiKey,
      workflowId: cloud.workflows.textToImage,
      webhookUrl: 'http://127.0.0.1:8188/interrupt',
    });
    expect(reply.body.code).toBe(301);
    expect(await cloud.db.selectFrom('tasks').selectAll().execute()).toEqual([]);
  });
});
