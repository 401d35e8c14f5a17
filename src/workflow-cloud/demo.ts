import type { ComfyPrompt } from '../comfyui/client.ts';
import type { Operators } from './operators.ts';

/** ComfyUI's default text-to-image workflow: node 6 is the prompt text, node 3 the sampler. */
const textToImage: ComfyPrompt = {
  '3': {
    class_type: 'KSampler',
    inputs: {
      model: ['4', 0],
      seed: 424242,
      steps: 20,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
      denoise: 1,
    },
  },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned.safetensors' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse at dawn', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
};

/** An image in, the same image out: node 12 takes your upload. */
const imageCopy: ComfyPrompt = {
  '12': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
  '13': { class_type: 'SaveImage', inputs: { filename_prefix: 'api', images: ['12', 0] } },
};

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
    { name: 'Text to image', prompt: textToImage, cost: 10, ran },
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
