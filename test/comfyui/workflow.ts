import type { ComfyClient, ComfyHistory } from '../../src/comfyui/client.ts';

export { textToImage } from '../../src/comfyui/workflows.ts';

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
