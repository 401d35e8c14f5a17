import type { ComfyClient, ComfyHistory, ComfyPrompt } from '../../src/comfyui/client.ts';

/** ComfyUI's default text-to-image workflow in API format, with the parts tests vary. */
export function textToImage({ text = 'a cat', width = 64, height = 48 } = {}): ComfyPrompt {
  return {
    '3': {
      class_type: 'KSampler',
      inputs: {
        model: ['4', 0],
        seed: 1,
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
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5.safetensors' } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width, height, batch_size: 1 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text, clip: ['4', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: 'blurry', clip: ['4', 1] } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
  };
}

/** Polls `history` until the prompt has finished; fails the test after five seconds. */
export async function finished(client: ComfyClient, promptId: string): Promise<ComfyHistory> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const history = await client.history(promptId);
    if (history !== undefined) {
      return history;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`prompt ${promptId} did not finish in 5 s`);
}
