import type { ComfyPrompt } from './client.ts';

/**
 * ComfyUI's default text-to-image workflow in API format: node 6 is the prompt text, node 3 the
 * sampler (its seed), node 5 the image size, node 9 saves the image. The demo seeds it, the tests
 * run it.
 */
export function textToImage({
  text = 'a cat',
  seed = 1,
  width = 64,
  height = 48,
} = {}): ComfyPrompt {
  return {
    '3': {
      class_type: 'KSampler',
      inputs: {
        model: ['4', 0],
        seed,
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

/** An image in (node 12, `example.png` until set), the same image out (node 13). */
export const imageCopy: ComfyPrompt = {
  '12': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
  '13': { class_type: 'SaveImage', inputs: { filename_prefix: 'api', images: ['12', 0] } },
};
