import { afterEach, describe, expect, it } from 'vitest';
import { type Cloud, pngBytes, startCloud } from './harness.ts';

describe('uploads', () => {
  let cloud: Cloud;
  afterEach(() => cloud?.close());

  /** Uploads `bytes` declared as `type`, named `filename`. */
  const upload = (bytes: Uint8Array, type: string, filename: string) => {
    const form = new FormData();
    form.set('apiKey', cloud.accounts.shared.apiKey);
    form.set('fileType', 'image');
    form.set('file', new Blob([new Uint8Array(bytes)], { type }), filename);
    return fetch(`${cloud.origin}/workflow-cloud/task/openapi/upload`, {
      method: 'POST',
      body: form,
    }).then((response) => response.json());
  };

  it('refuses a file of a type the API does not take, storing nothing', async () => {
    cloud = await startCloud();
    const page = new TextEncoder().encode('<script>alert(1)</script>');
    expect((await upload(page, 'text/html', 'x.html')).code).toBe(301);
    expect(await cloud.db.selectFrom('uploads').selectAll().execute()).toEqual([]);
  });

  it('names a file after its media type, not the name it was sent with', async () => {
    cloud = await startCloud();
    const stored = await upload(pngBytes, 'image/png', 'photo.html');
    expect(stored.data.fileName).toMatch(/^api\/[0-9a-f]{16}\.png$/);
  });
});
