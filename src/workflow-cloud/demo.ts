import { imageCopy, textToImage } from '../comfyui/workflows.ts';
import type { Operators } from './operators.ts';

/**
 * What `npm start` puts on an empty database with the local ComfyUI stand-in: one shared-API
 * account with coins, its key, two workflows run once on the platform, and an AI app. The ids are
 * the document's examples, so its requests work as shown. For trying the API only.
 */
export const demo = {
  accountId: '1000000000000000001',
  apiKey: 'de30c0de5a3f4b1e9c7d2a8f6b4e0c91',
  textToImageId: '1887949562932002817',
  imageWorkflowId: '1887949562932002818',
  webappId: '1877265245566922753',
} as const;

export async function seedDemo(operators: Operators): Promise<boolean> {
  const created = await operators.addAccount(
    { name: 'demo', plan: 'shared', coins: 1000, concurrency: 3 },
    { id: demo.accountId, ifAbsent: true },
  );
  if (created === undefined) {
    return false;
  }
  await operators.issueKey(demo.accountId, { key: demo.apiKey });
  const ran = true;
  await operators.addWorkflow(
    demo.accountId,
    {
      name: 'Text to image',
      prompt: textToImage({ text: 'a lighthouse at dawn', seed: 424242, width: 512, height: 512 }),
      cost: 10,
      ran,
    },
    { id: demo.textToImageId },
  );
  await operators.addWorkflow(
    demo.accountId,
    { name: 'Image copy', prompt: imageCopy, cost: 5, ran },
    { id: demo.imageWorkflowId },
  );
  await operators.addWebapp(
    { name: 'Image copy app', prompt: imageCopy, cost: 5 },
    { id: demo.webappId },
  );
  return true;
}
